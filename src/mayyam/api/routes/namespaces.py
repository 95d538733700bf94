"""Namespaces of a registered cluster."""

from typing import Annotated

from fastapi import APIRouter, Path
from kubernetes.client import CoreV1Api

from mayyam.api.deps import CLUSTER_PATH, LABEL_PATTERN, ReadCluster
from mayyam.api.models import NamespaceSummary

router = APIRouter(prefix=f"{CLUSTER_PATH}/namespaces", tags=["namespaces"])

NamespaceName = Annotated[
    str, Path(max_length=63, pattern=LABEL_PATTERN, description="The name of the namespace.")
]


@router.get("")
async def list_namespaces(cluster: ReadCluster) -> list[NamespaceSummary]:
    """List the namespaces of a cluster."""
    namespaces = await cluster.call(CoreV1Api(cluster.api_client).list_namespace)
    return [NamespaceSummary.from_kubernetes(ns) for ns in namespaces.items]


@router.get("/{name}")
async def read_namespace(cluster: ReadCluster, name: NamespaceName) -> NamespaceSummary:
    """Read one namespace of a cluster."""
    namespace = await cluster.call(CoreV1Api(cluster.api_client).read_namespace, name)
    return NamespaceSummary.from_kubernetes(namespace)
