"""The registered clusters and the status the operator last wrote for them."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from mayyam.api.access import Right, check_access, cluster_allowed, rights_of
from mayyam.api.deps import API_PREFIX, ClusterId, CurrentUser, RegistryDep
from mayyam.api.errors import ForbiddenError
from mayyam.api.models import Summary

router = APIRouter(prefix=f"{API_PREFIX}/clusters", tags=["clusters"])


class ConditionSummary(Summary):
    """One condition of a MayyamCluster's status."""

    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None


class ClusterSummary(Summary):
    """A registered cluster: where it is and whether it can be used."""

    name: str
    display_name: str | None = None
    server: str | None = None
    in_cluster: bool = False
    ready: bool = False
    reason: str | None = None
    kubernetes_version: str | None = None
    node_count: int | None = None
    last_probe_time: datetime | None = None
    conditions: list[ConditionSummary] = Field(default_factory=list)

    @classmethod
    def from_object(cls, cluster: Mapping[str, Any]) -> "ClusterSummary":
        """Summarize a MayyamCluster object; credentials are never part of it."""
        spec, status = cluster.get("spec") or {}, cluster.get("status") or {}
        conditions = [
            ConditionSummary.model_validate(condition)
            for condition in status.get("conditions") or []
            if isinstance(condition, dict) and "type" in condition and "status" in condition
        ]
        ready = next((c for c in conditions if c.type == "Ready"), None)
        return cls(
            name=cluster["metadata"]["name"],
            display_name=spec.get("displayName"),
            server=spec.get("server"),
            in_cluster=spec.get("inCluster") is True,
            ready=ready is not None and ready.status == "True",
            reason=ready.reason if ready is not None else None,
            kubernetes_version=status.get("kubernetesVersion"),
            node_count=status.get("nodeCount"),
            last_probe_time=status.get("lastProbeTime"),
            conditions=conditions,
        )


@router.get("")
def list_clusters(user: CurrentUser, registry: RegistryDep) -> list[ClusterSummary]:
    """List the registered clusters the token reaches, with their status."""
    if Right.READ not in rights_of(user.roles):
        raise ForbiddenError("Listing clusters needs a role that may read.")
    return [
        ClusterSummary.from_object(cluster)
        for cluster in registry.cluster_objects()
        if cluster_allowed(cluster["metadata"]["name"], user.clusters)
    ]


@router.get("/{cluster_id}")
def read_cluster(cluster_id: ClusterId, user: CurrentUser, registry: RegistryDep) -> ClusterSummary:
    """Read one registered cluster and its status."""
    check_access(roles=user.roles, patterns=user.clusters, right=Right.READ, cluster_id=cluster_id)
    return ClusterSummary.from_object(registry.cluster_object(cluster_id))
