"""Secrets of a namespace: read them redacted, write them in plaintext, delete them.

Every answer shows a Secret through `mayyam.api.redaction.redact_secret`:
the keys of its values, never a value. A PUT takes text values in ``data``
(Mayyam encodes them in base64) and binary ones in ``binaryData`` (already
base64); Kubernetes keeps both in the one map ``data`` of the Secret, so
giving either replaces all values, and leaving both out keeps them. What
else a part left out of the body means is said in ``mayyam.api.writes``.

The API server decides what only it can: a Secret of a type whose required
keys are missing (``kubernetes.io/tls`` without ``tls.key``), a change of
``type``, or a change of the values of an immutable Secret is refused with
422 Invalid and passed on as such, and nothing changes.
"""

import base64
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
from mayyam.api.objects import KubeObject, json_response, read_items, read_raw
from mayyam.api.redaction import (
    MIN_MATCHED_BYTES,
    REDACTED,
    redact_secret,
    restore_hidden_annotations,
    scrub,
)
from mayyam.api.validation import Base64Value, DataKey, check_values, raise_problems
from mayyam.api.writes import ObjectBody, ObjectMethods, delete_object, put_object, put_responses
from mayyam.core.errors import ClusterApiError

router = APIRouter(prefix=f"{CLUSTER_PATH}/namespaces/{{namespace}}/secrets", tags=["secrets"])


class Secret(Summary):
    """A Secret as Mayyam shows it: its keys, each with the value ``**REDACTED**``."""

    api_version: str = "v1"
    kind: str = "Secret"
    metadata: dict[str, Any] = Field(
        description="Without managedFields and the last-applied annotation."
    )
    type: str | None = None
    immutable: bool | None = None
    data: dict[str, str] | None = Field(
        default=None, description=f"The keys of the values; every value is {REDACTED!r}."
    )


class SecretBody(ObjectBody):
    """What a PUT of a Secret may set; a part left out keeps what the Secret has."""

    data: dict[DataKey, str] | None = Field(
        default=None, description="Text values, in plaintext; Mayyam encodes them."
    )
    binary_data: dict[DataKey, Base64Value] | None = Field(
        default=None, description="Binary values, each in base64."
    )
    type: str | None = Field(
        default=None,
        min_length=1,
        description="The type, e.g. kubernetes.io/tls; Opaque when a new Secret has none. "
        "Kubernetes refuses to change the type of a Secret.",
    )
    # Strict: "yes" or 1 must not make a Secret immutable, which is for good.
    immutable: bool | None = Field(
        default=None, strict=True, description="True forbids any later change of the values."
    )

    @model_validator(mode="after")
    def _fits_kubernetes(self) -> Self:
        raise_problems(check_values(self.data or {}, self.binary_data or {}, "Secret"))
        return self

    def encoded_values(self) -> dict[str, str]:
        """The values as the Secret's ``data`` holds them: all in base64."""
        encoded = {
            key: base64.b64encode(value.encode()).decode()
            for key, value in (self.data or {}).items()
        }
        return encoded | (self.binary_data or {})

    def matchable_values(self) -> list[str]:
        """The body's values as they may appear in a message: plaintext and base64."""
        forms = [*(self.data or {}).values(), *self.encoded_values().values()]
        return [form for form in forms if len(form.encode()) >= MIN_MATCHED_BYTES]

    def apply_metadata(self, metadata: KubeObject) -> None:
        current = metadata.get("annotations") or {}
        super().apply_metadata(metadata)
        if self.annotations is not None:
            metadata["annotations"] = restore_hidden_annotations(current, self.annotations)

    def build(self, current: KubeObject | None, namespace: str, name: str) -> KubeObject:
        """The Secret to write: ``current`` (or a new one) with the body applied."""
        secret = current or {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
        }
        self.apply_metadata(secret["metadata"])
        if self.data is not None or self.binary_data is not None:
            secret["data"] = self.encoded_values()
        if self.type is not None:
            secret["type"] = self.type
        if self.immutable is not None:
            secret["immutable"] = self.immutable
        return secret


@router.get(
    "",
    response_model=list[Secret],
    responses={400: {"model": ErrorBody, "description": "The label selector is not valid."}},
)
async def list_secrets(
    cluster: ReadCluster, namespace: NamespaceName, label_selector: LabelSelector = None
) -> Response:
    """List the Secrets of a namespace, every value redacted."""
    api = CoreV1Api(cluster.api_client)
    items = await read_items(
        cluster, api.list_namespaced_secret, namespace, label_selector=label_selector, kind="Secret"
    )
    return json_response([redact_secret(item) for item in items])


@router.get("/{name}", response_model=Secret)
async def read_secret(cluster: ReadCluster, namespace: NamespaceName, name: ObjectName) -> Response:
    """Read one Secret, every value redacted."""
    api = CoreV1Api(cluster.api_client)
    secret = await read_raw(cluster, api.read_namespaced_secret, name, namespace)
    return json_response(redact_secret(secret))


@router.put(
    "/{name}",
    response_model=Secret,
    responses=put_responses(Secret),
)
async def put_secret(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName, body: SecretBody
) -> Response:
    """Create a Secret from plaintext values, or replace the parts the body gives."""
    api = CoreV1Api(cluster.api_client)
    methods = ObjectMethods(
        api.read_namespaced_secret, api.create_namespaced_secret, api.replace_namespaced_secret
    )
    try:
        written, created = await put_object(
            cluster,
            methods,
            namespace,
            name,
            lambda current: body.build(current, namespace, name),
            body.resource_version,
        )
    except ClusterApiError as e:
        # The API server's messages name keys, not values; make sure of it.
        raise ClusterApiError(
            scrub(e.message, body.matchable_values()),
            cluster=e.cluster,
            status=e.status,
            reason=e.reason,
        ) from e
    return json_response(redact_secret(written), status_code=201 if created else 200)


@router.delete("/{name}")
async def delete_secret(
    cluster: WriteCluster, namespace: NamespaceName, name: ObjectName
) -> Deleted:
    """Delete a Secret."""
    api = CoreV1Api(cluster.api_client)
    return await delete_object(cluster, api.delete_namespaced_secret, namespace, name)
