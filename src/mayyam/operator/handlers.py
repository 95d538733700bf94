"""The kopf handlers of MayyamCluster objects.

A cluster is probed when its MayyamCluster is created, when its spec
changes, and for every existing object when the operator starts. The
verdict goes to ``status``; handlers return nothing, so kopf stores no
results of its own there.

There are deliberately no timers, daemons or deletion handlers: each of
those makes kopf add a finalizer, and a MayyamCluster with a finalizer
cannot be deleted while the operator is down.

TODO: probe every cluster periodically (one loop over all clusters, not a
timer per object) once a Ready condition must follow a cluster that goes
away or comes back without its MayyamCluster or Secret changing.
"""

from datetime import UTC, datetime
from typing import Any

import kopf

from mayyam.core import crd
from mayyam.operator.conditions import Condition, format_time, merge_condition
from mayyam.operator.probe import ClusterProber, ProbeResult


def register_handlers(registry: kopf.OperatorRegistry, prober: ClusterProber) -> None:
    """Register the MayyamCluster handlers in ``registry``."""

    async def probe_cluster(
        body: kopf.Body,
        meta: kopf.Meta,
        status: kopf.Status,
        patch: kopf.Patch,
        logger: kopf.Logger,
        **_: Any,
    ) -> None:
        result = await prober.probe(body)
        record_probe(patch, status, result, generation=meta.get("generation"))

        # kopf turns warnings of this logger into Events of the object.
        if result.ready:
            logger.info("The cluster is ready: %s", result.message)
        else:
            logger.warning("The cluster is not ready (%s): %s", result.reason, result.message)

    resource = (crd.GROUP, crd.VERSION, crd.PLURAL)
    kopf.on.resume(*resource, id="probe-on-resume", registry=registry)(probe_cluster)
    kopf.on.create(*resource, id="probe-on-create", registry=registry)(probe_cluster)
    kopf.on.update(*resource, id="probe-on-change", field="spec", registry=registry)(probe_cluster)


def record_probe(
    patch: kopf.Patch,
    status: kopf.Status,
    result: ProbeResult,
    *,
    generation: int | None,
    now: datetime | None = None,
) -> None:
    """Write a probe's verdict into the status patch of a MayyamCluster."""
    now = now or datetime.now(UTC)
    condition = Condition(
        type=crd.READY_CONDITION,
        status=result.ready,
        reason=result.reason,
        message=result.message,
        observed_generation=generation,
    )

    patch.status["conditions"] = merge_condition(status.get("conditions") or [], condition, now=now)
    patch.status["lastProbeTime"] = format_time(now)

    # A failed probe keeps the version last seen: it is still the best guess.
    if result.kubernetes_version is not None:
        patch.status["kubernetesVersion"] = result.kubernetes_version
