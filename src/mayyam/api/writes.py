"""Creating or replacing a namespaced object with one PUT, and deleting it.

A PUT names the object in its path and carries the parts a client may set.
The object is created when it does not exist (201) and replaced when it
does (200). On replace, each part the body leaves out keeps what the object
has, a part given replaces that part as a whole, and ``{}`` clears it; all
other metadata (ownerReferences, finalizers, the labels when ``labels`` is
left out, ...) is kept, so nothing written by someone else is lost.

Without ``resourceVersion`` the write is a read-modify-write: when the
object changed between the read and the write (409 Conflict), appeared
(409 AlreadyExists) or vanished (404), it is read and written again, up to
`MAX_ATTEMPTS` times. With ``resourceVersion`` it is an optimistic update:
the write carries that version, and the API server refuses it with 409
Conflict when the object has moved on since; for an object that does not
exist the answer is 404 NotFound, as Kubernetes gives for an update of a
missing object.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mayyam.api.deps import Cluster
from mayyam.api.errors import ErrorBody
from mayyam.api.models import Deleted
from mayyam.api.objects import KubeObject, read_raw, without_bookkeeping
from mayyam.api.validation import Annotations, Labels
from mayyam.core.errors import ClusterApiError

#: How often a write without ``resourceVersion`` is tried before a conflict stands.
MAX_ATTEMPTS = 5

#: The field manager of Mayyam's writes, as ``managedFields`` show it.
FIELD_MANAGER = "mayyam-api"


class ObjectBody(BaseModel):
    """The parts of an object's metadata a PUT may set."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, validate_by_alias=True)

    labels: Labels | None = Field(
        default=None,
        description="Replaces all labels; left out, the labels stay as they are.",
    )
    annotations: Annotations | None = Field(
        default=None,
        description="Replaces all annotations; left out, the annotations stay as they are.",
    )
    resource_version: str | None = Field(
        default=None,
        min_length=1,
        description="Write only if the object is still at this version (else 409); "
        "left out, Mayyam reads the object and retries on conflicts.",
    )

    def apply_metadata(self, metadata: KubeObject) -> None:
        """Set the labels and annotations the body gives; keep the rest."""
        if self.labels is not None:
            metadata["labels"] = dict(self.labels)
        if self.annotations is not None:
            metadata["annotations"] = dict(self.annotations)


def put_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The answers of a PUT beside 200 (replaced), for the OpenAPI document."""
    return {
        201: {"model": model, "description": "Created."},
        409: {
            "model": ErrorBody,
            "description": "The object changed since resourceVersion, or kept changing.",
        },
        413: {"model": ErrorBody, "description": "The request body is larger than allowed."},
    }


@dataclass(frozen=True)
class ObjectMethods:
    """The client methods that read, create and replace one kind of object."""

    read: Callable[..., Any]
    create: Callable[..., Any]
    replace: Callable[..., Any]


#: Builds the object to write from the current one (``None``: it does not exist).
Builder = Callable[[KubeObject | None], KubeObject]


async def put_object(
    cluster: Cluster,
    methods: ObjectMethods,
    namespace: str,
    name: str,
    build: Builder,
    resource_version: str | None,
) -> tuple[KubeObject, bool]:
    """Create or replace an object; return it as written and whether it is new."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if resource_version is not None:
            # A missing object is a 404 here: an update needs an object.
            current = await read_raw(cluster, methods.read, name, namespace)
        else:
            current = await _read_if_exists(cluster, methods.read, name, namespace)

        try:
            if current is None:
                created = await _write(cluster, methods.create, namespace, build(None))
                return created, True
            replacement = build(without_bookkeeping(current))
            if resource_version is not None:
                replacement["metadata"]["resourceVersion"] = resource_version
            replaced = await _write(cluster, methods.replace, name, namespace, replacement)
            return replaced, False
        except ClusterApiError as e:
            retry = resource_version is None and _is_race(e, creating=current is None)
            if not retry or attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _read_if_exists(
    cluster: Cluster, read: Callable[..., Any], name: str, namespace: str
) -> KubeObject | None:
    try:
        current: KubeObject = await read_raw(cluster, read, name, namespace)
    except ClusterApiError as e:
        if e.status == 404:
            return None
        raise
    return current


async def _write(cluster: Cluster, fn: Callable[..., Any], *args: Any) -> KubeObject:
    written: KubeObject = await read_raw(cluster, fn, *args, field_manager=FIELD_MANAGER)
    return without_bookkeeping(written)


def _is_race(error: ClusterApiError, *, creating: bool) -> bool:
    """Whether another writer got in between our read and our write."""
    if creating:
        return error.status == 409 and error.reason == "AlreadyExists"
    return (error.status == 409 and error.reason == "Conflict") or error.status == 404


async def delete_object(
    cluster: Cluster, delete: Callable[..., Any], namespace: str, name: str
) -> Deleted:
    """Delete an object; a missing one is the cluster's 404 NotFound."""
    await read_raw(cluster, delete, name, namespace)
    return Deleted(name=name)
