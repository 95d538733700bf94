"""Writing a probe's verdict into a MayyamCluster, and an Event when Ready changes.

The status is written with a merge patch of the ``status`` subresource. The
field manager names the replica that wrote it, so ``managedFields`` show
which one acts. An Event is posted each time ``Ready`` changes, compared
with the status the object already had, so a restarted or newly elected
replica does not repeat the Events of the one before.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from kubernetes.client import (
    ApiClient,
    CoreV1Api,
    CoreV1Event,
    CustomObjectsApi,
    V1EventSource,
    V1ObjectMeta,
    V1ObjectReference,
)

from mayyam.core import crd
from mayyam.core.errors import ClusterApiError
from mayyam.core.management import MANAGEMENT_CLUSTER
from mayyam.core.remote import call_cluster
from mayyam.operator.conditions import (
    CREDENTIALS_VALID,
    REACHABLE,
    READY,
    Condition,
    find_condition,
    format_time,
    merge_conditions,
)
from mayyam.operator.config import OperatorSettings
from mayyam.operator.probe import ProbeResult

#: The component Events name as their source.
EVENT_SOURCE = "mayyam-operator"

#: Events carry at most this much of a message.
MAX_EVENT_MESSAGE = 1024


def render_status(
    previous: Mapping[str, Any], result: ProbeResult, *, generation: int | None, now: datetime
) -> dict[str, Any]:
    """The new ``status`` of a MayyamCluster after a probe.

    ``nodeCount`` is ``None`` when unknown, which a merge patch removes; a
    failed probe keeps the version last seen: it is still the best guess.
    """
    verdicts = {
        CREDENTIALS_VALID: result.credentials,
        REACHABLE: result.reachable,
        READY: result.ready,
    }
    conditions = [
        Condition(kind, v.status, v.reason, v.message, observed_generation=generation)
        for kind, v in verdicts.items()
    ]
    status: dict[str, Any] = {
        "conditions": merge_conditions(previous.get("conditions") or [], conditions, now=now),
        "lastProbeTime": format_time(now),
        "nodeCount": result.node_count,
    }
    if result.kubernetes_version is not None:
        status["kubernetesVersion"] = result.kubernetes_version
    return status


def ready_change(
    previous: Mapping[str, Any], status: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The new Ready condition if its status differs from before, else ``None``."""
    before = find_condition(previous.get("conditions") or [], READY)
    after = find_condition(status.get("conditions") or [], READY)
    if after is None:
        return None
    if before is not None and before.get("status") == after.get("status"):
        return None
    return after


class StatusWriter:
    """Patches the status of MayyamClusters and posts their Events; blocking."""

    def __init__(self, management: ApiClient, settings: OperatorSettings) -> None:
        self._custom = CustomObjectsApi(management)
        self._core = CoreV1Api(management)
        self._settings = settings

    def write(self, cluster: Mapping[str, Any], result: ProbeResult) -> Mapping[str, Any] | None:
        """Record ``result``; return the updated object, or ``None`` if it is gone."""
        metadata = cluster.get("metadata") or {}
        previous = cluster.get("status") or {}
        status = render_status(
            previous, result, generation=metadata.get("generation"), now=datetime.now(UTC)
        )

        try:
            updated: Mapping[str, Any] = cast(
                Mapping[str, Any],
                call_cluster(
                    MANAGEMENT_CLUSTER,
                    self._custom.patch_namespaced_custom_object_status,
                    crd.GROUP,
                    crd.VERSION,
                    metadata.get("namespace"),
                    crd.PLURAL,
                    metadata.get("name"),
                    {"status": status},
                    field_manager=f"mayyam-operator/{self._settings.identity}",
                    _content_type="application/merge-patch+json",
                    _request_timeout=self._settings.request_timeout,
                ),
            )
        except ClusterApiError as e:
            if e.status == 404:
                return None
            raise

        change = ready_change(previous, status)
        if change is not None:
            self.post_event(updated, change)
        return updated

    def post_event(self, cluster: Mapping[str, Any], ready: Mapping[str, Any]) -> None:
        """Post a Normal or Warning Event about a change of ``Ready``."""
        metadata = cluster.get("metadata") or {}
        is_ready = ready.get("status") == "True"
        now = datetime.now(UTC)
        event = CoreV1Event(
            metadata=V1ObjectMeta(
                generate_name=f"{metadata.get('name')}.", namespace=metadata.get("namespace")
            ),
            involved_object=V1ObjectReference(
                api_version=crd.API_VERSION,
                kind=crd.KIND,
                name=metadata.get("name"),
                namespace=metadata.get("namespace"),
                uid=metadata.get("uid"),
                resource_version=metadata.get("resourceVersion"),
            ),
            type="Normal" if is_ready else "Warning",
            reason="ClusterReady" if is_ready else "ClusterNotReady",
            message=_event_message(ready)[:MAX_EVENT_MESSAGE],
            source=V1EventSource(component=EVENT_SOURCE),
            first_timestamp=now,
            last_timestamp=now,
            count=1,
        )
        call_cluster(
            MANAGEMENT_CLUSTER,
            self._core.create_namespaced_event,
            metadata.get("namespace"),
            event,
            _request_timeout=self._settings.request_timeout,
        )


def _event_message(ready: Mapping[str, Any]) -> str:
    if ready.get("status") == "True":
        return f"The cluster is ready: {ready.get('message')}"
    return f"The cluster is not ready ({ready.get('reason')}): {ready.get('message')}"
