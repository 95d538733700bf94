"""One loop that probes every registered cluster on its own schedule.

Timers and daemons of kopf would be simpler to write, but kopf puts a
finalizer on every object that has one, and a MayyamCluster with a finalizer
cannot be deleted while the operator is down. So kopf only reports what it
sees (`observe_cluster`, `observe_secret`), and this one operator-wide task
decides when each cluster is probed:

* at once when it appears, when its spec changes (a new generation), when
  its Secret changes, appears or goes, and when this replica starts acting;
* then every ``spec.healthCheck.intervalSeconds``; after failures the delay
  doubles each time, up to the backoff limit of the settings, so that
  clusters that stay down cost little and log little. A change of the
  MayyamCluster or its Secret ends the backoff.

Probes run in a pool of worker threads; a cluster is never probed twice at
once, and a probe's time starts only once a worker is free for it. Only a
replica that is active (see `mayyam.operator.leader`) probes.
"""

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mayyam.core.credentials import secret_name_of
from mayyam.core.errors import MayyamError
from mayyam.operator.config import OperatorSettings
from mayyam.operator.probe import NOT_TRIED, ClusterProber, ProbeResult, Verdict
from mayyam.operator.status import StatusWriter

logger = logging.getLogger(__name__)

#: How much longer than its timeout a probe's thread may take before the
#: probe is reported as timed out without it.
TIMEOUT_GRACE = 1.0

#: Delays are spread by this fraction, so that clusters registered together
#: are not probed in lockstep forever.
JITTER = 0.1

Key = tuple[str, str]


@dataclass
class _Tracked:
    """A MayyamCluster as last seen, and when to probe it next."""

    body: Mapping[str, Any]
    due: float
    failures: int = 0
    probing: bool = False
    again: bool = False
    last_verdict: tuple[str, str] | None = None


class ClusterMonitor:
    """Schedules and runs the probes of all MayyamClusters it is told about."""

    def __init__(
        self,
        prober: ClusterProber,
        writer: StatusWriter,
        settings: OperatorSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._prober = prober
        self._writer = writer
        self._settings = settings
        self._clock = clock
        self._clusters: dict[Key, _Tracked] = {}
        self._active = not settings.leader_election
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.probe_workers)
        self._pool = ThreadPoolExecutor(settings.probe_workers, thread_name_prefix="probe")
        self._tasks: set[asyncio.Task[None]] = set()

    def observe_cluster(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """Take in a MayyamCluster event from the watch (or its first listing)."""
        key = _key(body)
        if event_type == "DELETED":
            self._clusters.pop(key, None)
            return

        tracked = self._clusters.get(key)
        if tracked is None:
            self._clusters[key] = _Tracked(body=body, due=self._clock())
            self._wake.set()
            return

        spec_changed = _generation(body) > _generation(tracked.body)
        if _generation(body) >= _generation(tracked.body):
            tracked.body = body
        if spec_changed:
            self._poke(tracked)

    def observe_secret(self, namespace: str, name: str) -> None:
        """A Secret changed, appeared or went: probe the clusters that use it."""
        for (cluster_namespace, _), tracked in self._clusters.items():
            if cluster_namespace == namespace and secret_name_of(tracked.body) == name:
                self._poke(tracked)

    def set_active(self, active: bool) -> None:
        """Start or stop probing; a replica that starts acting probes all at once."""
        if active and not self._active:
            for tracked in self._clusters.values():
                self._poke(tracked)
        self._active = active
        self._wake.set()

    @property
    def active(self) -> bool:
        return self._active

    async def run(self) -> None:
        """Probe clusters as they fall due, until cancelled."""
        try:
            while True:
                self._wake.clear()
                delay = self._start_due_probes()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            for task in self._tasks:
                task.cancel()
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _poke(self, tracked: _Tracked) -> None:
        tracked.due = self._clock()
        tracked.failures = 0
        tracked.again = tracked.probing
        self._wake.set()

    def _start_due_probes(self) -> float | None:
        """Start the probes that are due; return the seconds until the next one."""
        if not self._active:
            return None

        now = self._clock()
        next_due: float | None = None
        for key, tracked in self._clusters.items():
            if tracked.probing:
                continue
            if tracked.due <= now:
                tracked.probing = True
                task = asyncio.create_task(self._probe(key, tracked), name=f"probe {key}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif next_due is None or tracked.due < next_due:
                next_due = tracked.due
        return None if next_due is None else max(next_due - now, 0.0)

    async def _probe(self, key: Key, tracked: _Tracked) -> None:
        succeeded = False
        try:
            result = await self._run_probe(tracked.body)
            succeeded = result.ready.status == "True"
            self._log_verdict(key, tracked, result)
            if self._active and self._clusters.get(key) is tracked:
                await self._record(key, tracked, result)
        except MayyamError as e:
            logger.warning("Cluster %s/%s was not probed (%s): %s", *key, e.reason, e.message)
        except Exception:
            logger.exception("Probing cluster %s/%s failed unexpectedly.", *key)
        finally:
            self._schedule(tracked, succeeded)

    async def _run_probe(self, body: Mapping[str, Any]) -> ProbeResult:
        """Run one probe in a worker thread, and give up waiting at its timeout."""
        timeout = probe_timeout(body, self._settings)
        await self._slots.acquire()
        future = asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(self._prober.probe, body, timeout=timeout)
        )
        future.add_done_callback(self._release_slot)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout + TIMEOUT_GRACE)
        except TimeoutError:
            return timed_out(timeout)

    def _release_slot(self, future: "asyncio.Future[ProbeResult]") -> None:
        # A thread given up on still ends; its result is read so that
        # asyncio does not report it as never retrieved.
        self._slots.release()
        if not future.cancelled():
            future.exception()

    async def _record(self, key: Key, tracked: _Tracked, result: ProbeResult) -> None:
        updated = await asyncio.to_thread(self._writer.write, tracked.body, result)
        if updated is None:
            logger.info("Cluster %s/%s is gone; it is no longer probed.", *key)
            self._clusters.pop(key, None)
        elif _generation(updated) >= _generation(tracked.body):
            tracked.body = updated

    def _schedule(self, tracked: _Tracked, succeeded: bool) -> None:
        tracked.probing = False
        if tracked.again:
            tracked.again = False
            tracked.due = self._clock()
        else:
            tracked.failures = 0 if succeeded else tracked.failures + 1
            tracked.due = self._clock() + next_delay(
                probe_interval(tracked.body, self._settings),
                tracked.failures,
                self._settings.probe_backoff_limit_seconds,
            )
        self._wake.set()

    def _log_verdict(self, key: Key, tracked: _Tracked, result: ProbeResult) -> None:
        """Log a cluster's verdict when it changes; repeats only at debug level."""
        ready = result.ready
        verdict = (ready.status, ready.reason)
        if verdict == tracked.last_verdict:
            logger.debug("Cluster %s/%s is still %s (%s).", *key, *verdict)
        elif ready.status == "True":
            logger.info("Cluster %s/%s is ready: %s", *key, ready.message)
        else:
            logger.warning("Cluster %s/%s is not ready (%s): %s", *key, ready.reason, ready.message)
        tracked.last_verdict = verdict


def probe_interval(body: Mapping[str, Any], settings: OperatorSettings) -> float:
    """Seconds between two probes of a cluster that answers."""
    value = _health_check(body).get("intervalSeconds")
    return float(value) if value else settings.probe_interval_seconds


def probe_timeout(body: Mapping[str, Any], settings: OperatorSettings) -> float:
    """The longest one probe of a cluster may take."""
    value = _health_check(body).get("timeoutSeconds")
    return float(value) if value else settings.probe_timeout_seconds


def next_delay(interval: float, failures: int, limit: float) -> float:
    """The delay before the next probe, after ``failures`` failures in a row."""
    delay = interval
    if failures > 1:
        delay = min(interval * 2 ** min(failures - 1, 30), max(interval, limit))
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


def timed_out(timeout: float) -> ProbeResult:
    """The verdict on a probe that did not finish in its time."""
    return ProbeResult(
        credentials=Verdict("Unknown", NOT_TRIED, "The API server did not answer."),
        reachable=Verdict(
            "False",
            "Timeout",
            f"The probe did not finish within {timeout:g} s: check the network path to "
            "spec.server, or raise spec.healthCheck.timeoutSeconds for a slow cluster.",
        ),
    )


def _health_check(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return (body.get("spec") or {}).get("healthCheck") or {}


def _key(body: Mapping[str, Any]) -> Key:
    metadata = body.get("metadata") or {}
    return (str(metadata.get("namespace", "")), str(metadata.get("name", "")))


def _generation(body: Mapping[str, Any]) -> int:
    return int((body.get("metadata") or {}).get("generation") or 0)
