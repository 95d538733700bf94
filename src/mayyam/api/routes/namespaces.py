"""Namespaces of a registered cluster."""

from fastapi import APIRouter
from kubernetes.client import CoreV1Api

from mayyam.api.deps import CLUSTER_PATH, NamespaceName, ReadCluster
from mayyam.api.models import NamespaceSummary

router = APIRouter(prefix=f"{CLUSTER_PATH}/namespaces", tags=["namespaces"])


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
