"""ConfigMaps of a namespace: read them, create or replace them, delete them.

Reads return the objects as Kubernetes wrote them, less ``managedFields``.
A PUT creates or replaces (see ``mayyam.api.writes`` for what a part left
out of the body means, and for ``resourceVersion``); its keys, labels,
annotations and total size are checked as Kubernetes checks them before
the cluster is called.
"""

from typing import Any, Self

from fastapi import APIRouter, Response
from kubernetes.client import CoreV1Api
from pydantic import Field, model_validator

from mayyam.api.deps import (
    CLUSTER_PATH,
    LabelSelector,
    NamespaceName,
    ObjectName,
    ReadCluster,
    WriteCluster,
)
from mayyam.api.errors import ErrorBody
from mayyam.api.models import Deleted, Summary
from mayyam.api.objects import KubeObject, json_response, read_items, read_raw, without_bookkeeping
from mayyam.api.validation import Base64Value, DataKey, check_values, raise_problems
from mayyam.api.writes import ObjectBody, ObjectMethods, delete_object, put_object, put_responses

router = APIRouter(
    prefix=f"{CLUSTER_PATH}/namespaces/{{namespace}}/configmaps", tags=["configmaps"]
)


class ConfigMap(Summary):
    """A ConfigMap as Kubernetes returns it, without ``metadata.managedFields``."""

    api_version: str = "v1"
    kind: str = "ConfigMap"
    metadata: dict[str, Any]
    data: dict[str, str] | None = None
    binary_data: dict[str, str] | None = Field(default=None, description="Values in base64.")
    immutable: bool | None = None


class ConfigMapBody(ObjectBody):
    """What a PUT of a ConfigMap may set; a part left out keeps what the object has."""

    data: dict[DataKey, str] | None = Field(
        default=None, description="Replaces all text values; {} removes them."
    )
    binary_data: dict[DataKey, Base64Value] | None = Field(
        default=None, description="Replaces all binary values, each in base64; {} removes them."
    )

    @model_validator(mode="after")
    def _fits_kubernetes(self) -> Self:
        raise_problems(check_values(self.data or {}, self.binary_data or {}, "ConfigMap"))
        return self

    def build(self, current: KubeObject | None, namespace: str, name: str) -> KubeObject:
        """The ConfigMap to write: ``current`` (or a new one) with the body applied."""
        config_map = current or {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
        }
        self.apply_metadata(config_map["metadata"])
        if self.data is not None:
            config_map["data"] = dict(self.data)
        if self.binary_data is not None:
            config_map["binaryData"] = dict(self.binary_data)
        return config_map


@router.get(
    "",
    response_model=list[ConfigMap],
    responses={400: {"model": ErrorBody, "description": "The label selector is not valid."}},
)
async def list_config_maps(
    cluster: ReadCluster, namespace: NamespaceName, label_selector: LabelSelector = None
) -> Response:
    """List the ConfigMaps of a namespace."""
    api = CoreV1Api(cluster.api_client)
    items = await read_items(
        cluster,
        api.list_namespaced_config_map,
        namespace,
        label_selector=label_selector,
        kind="ConfigMap",
    )
    return json_response(items)


@router.get("/{name}", response_model=ConfigMap)
async def read_config_map(
    cluster: ReadCluster, namespace: NamespaceName, name: ObjectName
) -> Response:
    """Read one ConfigMap."""
    api = CoreV1Api(cluster.api_client)
    config_map = await read_raw(cluster, api.read_namespaced_config_map, name, namespace)
    return json_response(without_bookkeeping(config_map))


@router.put(
    "/{name}",
    response_model=ConfigMap,
    responses=put_responses(ConfigMap),
)
async def put_config_map(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName, body: ConfigMapBody
) -> Response:
    """Create a ConfigMap, or replace the parts of it the body gives."""
    api = CoreV1Api(cluster.api_client)
    methods = ObjectMethods(
        api.read_namespaced_config_map,
        api.create_namespaced_config_map,
        api.replace_namespaced_config_map,
    )
    written, created = await put_object(
        cluster,
        methods,
        namespace,
        name,
        lambda current: body.build(current, namespace, name),
        body.resource_version,
    )
    return json_response(written, status_code=201 if created else 200)


@router.delete("/{name}")
async def delete_config_map(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName
) -> Deleted:
    """Delete a ConfigMap."""
    api = CoreV1Api(cluster.api_client)
    return await delete_object(cluster, api.delete_namespaced_config_map, namespace, name)
