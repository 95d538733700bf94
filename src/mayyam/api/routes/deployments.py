"""Deployments of a registered cluster: read them, scale them, restart their Pods.

Scaling goes through the Deployment's ``scale`` subresource, as ``kubectl
scale`` does, so it changes nothing but the number of replicas. A restart
does what ``kubectl rollout restart`` does: it stamps the time into the
``kubectl.kubernetes.io/restartedAt`` annotation of the Pod template, and the
changed template makes the Deployment roll out a new ReplicaSet under its
own strategy. Both are actions on one Deployment, written as a verb after a
colon (``web:scale``); object names cannot hold a colon, so the two never
mix.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from kubernetes.client import AppsV1Api
from pydantic import BaseModel, ConfigDict, Field

from mayyam.api.deps import CLUSTER_PATH, NamespaceName, ObjectName, ReadCluster, WriteCluster
from mayyam.api.errors import ConflictError, ErrorBody
from mayyam.api.objects import json_response, read_items, read_raw, without_bookkeeping

router = APIRouter(
    prefix=f"{CLUSTER_PATH}/namespaces/{{namespace}}/deployments", tags=["deployments"]
)

#: The annotation of the Pod template whose change restarts the Pods.
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

#: The most replicas Kubernetes accepts (an int32).
MAX_REPLICAS = 2**31 - 1

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"


def _raw_json(description: str, schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a route that passes Kubernetes' JSON through."""
    return {200: {"description": description, "content": {"application/json": {"schema": schema}}}}


class ScaleRequest(BaseModel):
    """The number of replicas a Deployment should have."""

    model_config = ConfigDict(extra="forbid")

    replicas: int = Field(
        strict=True,
        ge=0,
        le=MAX_REPLICAS,
        description="The desired number of Pods: a whole number, 0 or more.",
    )


class Scaled(BaseModel):
    """The answer to a scale: the replicas the Deployment now asks for."""

    status: Literal["scaled"] = "scaled"
    replicas: int = Field(description="The Deployment's spec.replicas after the change.")


class Restarted(BaseModel):
    """The answer to a restart: a new rollout has begun."""

    status: Literal["restarted"] = "restarted"


@router.get(
    "",
    responses=_raw_json(
        "The Deployments, as Kubernetes returns them, less managedFields.",
        {"type": "array", "items": {"type": "object"}},
    ),
)
async def list_deployments(cluster: ReadCluster, namespace: NamespaceName) -> Response:
    """List the Deployments of a namespace."""
    apps = AppsV1Api(cluster.api_client)
    items = await read_items(
        cluster,
        apps.list_namespaced_deployment,
        namespace,
        kind="Deployment",
        api_version="apps/v1",
    )
    return json_response(items)


@router.get(
    "/{name}",
    responses=_raw_json(
        "The Deployment, as Kubernetes returns it, less managedFields.", {"type": "object"}
    ),
)
async def read_deployment(
    cluster: ReadCluster, namespace: NamespaceName, name: ObjectName
) -> Response:
    """Read one Deployment."""
    apps = AppsV1Api(cluster.api_client)
    deployment = await read_raw(cluster, apps.read_namespaced_deployment, name, namespace)
    return json_response(without_bookkeeping(deployment))


@router.post("/{name}:scale")
async def scale_deployment(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName, body: ScaleRequest
) -> Scaled:
    """Set the number of replicas of a Deployment."""
    apps = AppsV1Api(cluster.api_client)
    patch = {"spec": {"replicas": body.replicas}}
    scale = await read_raw(
        cluster,
        apps.patch_namespaced_deployment_scale,
        name,
        namespace,
        patch,
        # Named, not left to the client's choice: a merge patch of one field.
        _content_type=MERGE_PATCH,
    )
    # Kubernetes leaves out a replicas of 0.
    return Scaled(replicas=(scale.get("spec") or {}).get("replicas", 0))


@router.post(
    "/{name}:restart",
    responses={409: {"model": ErrorBody, "description": "The Deployment is paused."}},
)
async def restart_deployment(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName
) -> Restarted:
    """Restart the Pods of a Deployment with a rollout, as kubectl rollout restart does."""
    apps = AppsV1Api(cluster.api_client)
    deployment = await read_raw(cluster, apps.read_namespaced_deployment, name, namespace)
    if (deployment.get("spec") or {}).get("paused"):
        # A paused Deployment would keep the new template without rolling it out.
        raise ConflictError(
            f"Deployment {name!r} is paused, so it cannot be restarted; "
            f"resume it first (kubectl rollout resume deployment/{name})."
        )

    # RFC 3339, as kubectl writes it; a patch of this one key keeps the rest.
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
    await read_raw(
        cluster,
        apps.patch_namespaced_deployment,
        name,
        namespace,
        patch,
        _content_type=STRATEGIC_MERGE_PATCH,
    )
    return Restarted()
