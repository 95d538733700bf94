"""Electing the one replica that acts, through a coordination.k8s.io Lease.

Several replicas of the operator may run; all of them watch, but only the
holder of the Lease probes clusters and writes their status. The holder
renews the Lease every third of its duration. Another replica takes over
once the Lease has stayed unchanged for a whole duration, as measured by its
own clock (so clocks of different machines need not agree), or at once when
the holder releases it on shutdown. A holder that cannot renew for two
thirds of the duration stops acting before anybody else may start.

A Lease needs no CRD of its own, unlike kopf's peering, and the Lease's
``holderIdentity`` tells people which replica acts.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes.client import ApiClient, CoordinationV1Api, V1Lease, V1LeaseSpec, V1ObjectMeta

from mayyam.core.errors import ClusterApiError, MayyamError
from mayyam.core.management import MANAGEMENT_CLUSTER
from mayyam.core.remote import call_cluster
from mayyam.operator.config import OperatorSettings

logger = logging.getLogger(__name__)

#: What a Lease record looks like to a replica that compares two readings.
_Record = tuple[str | None, datetime | None, int | None]


class LeaseElector:
    """Competes for the Lease and tells ``on_change`` when this replica gains
    or loses it."""

    def __init__(
        self,
        management: ApiClient,
        settings: OperatorSettings,
        on_change: Callable[[bool], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = CoordinationV1Api(management)
        self._settings = settings
        self._on_change = on_change
        self._clock = clock
        self._leading = False
        self._last_renewal = 0.0
        self._observed: _Record | None = None
        self._observed_at = 0.0

    @property
    def leading(self) -> bool:
        return self._leading

    @property
    def retry_period(self) -> float:
        return self._settings.lease_duration_seconds / 3

    async def run(self) -> None:
        """Try to acquire or renew the Lease every retry period, until cancelled."""
        renew_deadline = self._settings.lease_duration_seconds * 2 / 3
        while True:
            acquired: bool | None
            try:
                acquired = await asyncio.to_thread(self.try_acquire_or_renew)
            except MayyamError as e:
                logger.warning(
                    "The Lease could not be read or written (%s): %s", e.reason, e.message
                )
                acquired = None

            # Unable to tell, a holder keeps acting until its renewal deadline.
            now = self._clock()
            if acquired:
                self._last_renewal = now
            elif acquired is None:
                acquired = self._leading and now - self._last_renewal < renew_deadline
            self._set_leading(acquired)
            await asyncio.sleep(self.retry_period)

    def try_acquire_or_renew(self) -> bool:
        """One attempt; blocking. True when this replica holds the Lease now."""
        lease = self._read()
        if lease is None:
            return self._create()

        spec = lease.spec or V1LeaseSpec()
        me = self._settings.identity
        if spec.holder_identity != me:
            if not self._expired(spec):
                return False
            spec.acquire_time = _now()
            spec.lease_transitions = (spec.lease_transitions or 0) + 1

        spec.holder_identity = me
        spec.renew_time = _now()
        spec.lease_duration_seconds = self._settings.lease_duration_seconds
        lease.spec = spec
        return self._replace(lease)

    async def release(self) -> None:
        """Stop acting and give the Lease up, so another replica need not wait."""
        if not self._leading:
            return
        self._set_leading(False)
        try:
            await asyncio.to_thread(self._give_up)
        except MayyamError as e:
            logger.warning("The Lease could not be released (%s): %s", e.reason, e.message)

    def _give_up(self) -> None:
        lease = self._read()
        if lease is None or lease.spec is None:
            return
        if lease.spec.holder_identity != self._settings.identity:
            return
        lease.spec.holder_identity = None
        lease.spec.lease_duration_seconds = 1
        lease.spec.renew_time = _now()
        if self._replace(lease):
            logger.info("Released the Lease %r.", self._settings.lease_name)

    def _expired(self, spec: V1LeaseSpec) -> bool:
        """Whether the holder has let the Lease lapse, by this replica's clock."""
        if not spec.holder_identity:
            return True
        record = (spec.holder_identity, spec.renew_time, spec.lease_transitions)
        now = self._clock()
        if record != self._observed:
            self._observed, self._observed_at = record, now
            return False
        duration = spec.lease_duration_seconds or self._settings.lease_duration_seconds
        return now - self._observed_at >= duration

    def _set_leading(self, leading: bool) -> None:
        if leading == self._leading:
            return
        self._leading = leading
        name, me = self._settings.lease_name, self._settings.identity
        if leading:
            logger.info("This replica (%s) holds the Lease %r and acts.", me, name)
        else:
            logger.info("This replica (%s) does not hold the Lease %r; it stands by.", me, name)
        self._on_change(leading)

    def _read(self) -> V1Lease | None:
        try:
            return call_cluster(
                MANAGEMENT_CLUSTER,
                self._api.read_namespaced_lease,
                self._settings.lease_name,
                self._settings.namespace,
                _request_timeout=self.retry_period,
            )
        except ClusterApiError as e:
            if e.status == 404:
                return None
            raise

    def _create(self) -> bool:
        now = _now()
        lease = V1Lease(
            metadata=V1ObjectMeta(
                name=self._settings.lease_name, namespace=self._settings.namespace
            ),
            spec=V1LeaseSpec(
                holder_identity=self._settings.identity,
                lease_duration_seconds=self._settings.lease_duration_seconds,
                acquire_time=now,
                renew_time=now,
                lease_transitions=0,
            ),
        )
        return self._write(self._api.create_namespaced_lease, self._settings.namespace, lease)

    def _replace(self, lease: V1Lease) -> bool:
        # The resourceVersion read makes a concurrent change fail with 409.
        return self._write(
            self._api.replace_namespaced_lease,
            self._settings.lease_name,
            self._settings.namespace,
            lease,
        )

    def _write(self, method: Callable[..., V1Lease], *args: object) -> bool:
        try:
            call_cluster(MANAGEMENT_CLUSTER, method, *args, _request_timeout=self.retry_period)
        except ClusterApiError as e:
            if e.status == 409:
                return False
            raise
        return True


def _now() -> datetime:
    # Lease times are MicroTime, which the API server only parses with a
    # fraction of a second; Python leaves a zero fraction out.
    now = datetime.now(UTC)
    return now if now.microsecond else now.replace(microsecond=1)
