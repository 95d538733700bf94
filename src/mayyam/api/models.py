"""What the API returns for Kubernetes objects.

Each kind has a summary model: the fields a client of Mayyam needs, under
the names Kubernetes uses (camelCase). A summary is built from the object as
the cluster sent it (JSON) and never carries fields the model does not name,
so nothing a remote object holds leaks by accident. `Deleted` is the answer
to a deletion, the same for every kind.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Summary(BaseModel):
    """Base of the summaries: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, frozen=True
    )


class NamespaceCondition(Summary):
    """A condition of a namespace's status, e.g. why its deletion is stuck."""

    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None


class NamespaceSummary(Summary):
    """A namespace of a registered cluster.

    ``phase`` is ``Active`` or ``Terminating``; a namespace being deleted
    also has a ``deletionTimestamp`` and ``conditions`` that say what its
    deletion waits for.
    """

    name: str
    uid: str | None = None
    phase: str | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    conditions: list[NamespaceCondition] = []

    @classmethod
    def from_object(cls, namespace: Mapping[str, Any]) -> "NamespaceSummary":
        """Summarize a Namespace object."""
        metadata, status = namespace.get("metadata") or {}, namespace.get("status") or {}
        return cls(
            name=metadata["name"],
            uid=metadata.get("uid"),
            phase=status.get("phase"),
            labels=metadata.get("labels") or {},
            annotations=metadata.get("annotations") or {},
            creation_timestamp=metadata.get("creationTimestamp"),
            deletion_timestamp=metadata.get("deletionTimestamp"),
            conditions=[
                NamespaceCondition.model_validate(condition)
                for condition in status.get("conditions") or []
                if isinstance(condition, dict) and "type" in condition and "status" in condition
            ],
        )


class Deleted(BaseModel):
    """The answer to a DELETE of any kind of object.

    Kubernetes may still be removing it: a namespace stays Terminating until
    its objects are gone, an object with finalizers until they are done.
    """

    status: Literal["deleted"] = "deleted"
    name: str = Field(description="The name of the object deleted.")
