"""Namespaces of a registered cluster: read, create with labels, delete.

Deleting a namespace deletes everything in it, so the namespaces that
Kubernetes itself relies on, and the one Mayyam's own objects live in, are
never deleted through Mayyam, on any cluster. Names and labels are checked
with Kubernetes' rules before the cluster is called.
"""

from fastapi import APIRouter, Request
from kubernetes.client import CoreV1Api
from pydantic import BaseModel, ConfigDict, Field

from mayyam.api.config import ApiSettings
from mayyam.api.deps import CLUSTER_PATH, NamespaceName, ReadCluster, SettingsDep, WriteCluster
from mayyam.api.errors import ErrorBody, ForbiddenError
from mayyam.api.models import Deleted, NamespaceSummary
from mayyam.api.objects import read_raw
from mayyam.api.validation import Labels, NamespaceNameField

router = APIRouter(prefix=f"{CLUSTER_PATH}/namespaces", tags=["namespaces"])

#: The namespaces Kubernetes creates and its components rely on.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


class NamespaceRequest(BaseModel):
    """A namespace to create."""

    model_config = ConfigDict(extra="forbid")

    name: NamespaceNameField = Field(
        description="The name: lower-case letters, digits and '-', at most 63 characters."
    )
    labels: Labels = Field(
        default_factory=dict,
        description="Labels of the namespace, checked with Kubernetes' rules for keys and values.",
    )


def protected_namespaces(settings: ApiSettings) -> frozenset[str]:
    """The namespaces Mayyam never deletes: Kubernetes' own, and Mayyam's."""
    return SYSTEM_NAMESPACES | {settings.namespace}


@router.get("")
async def list_namespaces(cluster: ReadCluster) -> list[NamespaceSummary]:
    """List the namespaces of a cluster, with their phase."""
    listing = await read_raw(cluster, CoreV1Api(cluster.api_client).list_namespace)
    return [NamespaceSummary.from_object(item) for item in listing.get("items") or []]


@router.get("/{name}")
async def read_namespace(cluster: ReadCluster, name: NamespaceName) -> NamespaceSummary:
    """Read one namespace of a cluster, with its phase."""
    namespace = await read_raw(cluster, CoreV1Api(cluster.api_client).read_namespace, name)
    return NamespaceSummary.from_object(namespace)


@router.post(
    "",
    status_code=201,
    responses={409: {"model": ErrorBody, "description": "The namespace exists already."}},
)
async def create_namespace(
    request: Request, cluster: WriteCluster, body: NamespaceRequest
) -> NamespaceSummary:
    """Create a namespace with labels."""
    # The audit line names the namespace of the body, not the path's "namespaces".
    request.state.audit.object = f"namespaces/{body.name}"

    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": body.name, "labels": body.labels},
    }
    created = await read_raw(cluster, CoreV1Api(cluster.api_client).create_namespace, manifest)
    return NamespaceSummary.from_object(created)


@router.delete(
    "/{name}",
    status_code=202,
    responses={
        403: {
            "model": ErrorBody,
            "description": "The namespace is protected, or the token lacks the right.",
        },
        409: {"model": ErrorBody, "description": "The namespace is being deleted already."},
    },
)
async def delete_namespace(
    cluster: WriteCluster, settings: SettingsDep, name: NamespaceName
) -> Deleted:
    """Delete a namespace; it is Terminating until Kubernetes has removed its objects (202)."""
    if name in protected_namespaces(settings):
        raise ForbiddenError(
            f"Namespace {name!r} is protected: Kubernetes or Mayyam rely on it, "
            "so Mayyam does not delete it."
        )

    # The answer is the Namespace, now Terminating; Kubernetes removes its
    # objects and then the namespace itself in the background.
    await read_raw(cluster, CoreV1Api(cluster.api_client).delete_namespace, name)
    return Deleted(name=name)
