"""What the API returns for Kubernetes objects.

Each kind has a summary model: the fields a client of Mayyam needs, under
the names Kubernetes uses (camelCase). A summary is built from the client's
model object and never carries fields the model does not name, so nothing a
remote object holds leaks by accident.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Summary(BaseModel):
    """Base of the summaries: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, frozen=True
    )


class NamespaceSummary(Summary):
    """A namespace of a registered cluster."""

    name: str
    uid: str | None = None
    phase: str | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    creation_timestamp: datetime | None = None

    @classmethod
    def from_kubernetes(cls, namespace: Any) -> "NamespaceSummary":
        """Summarize a ``V1Namespace``."""
        metadata, status = namespace.metadata, namespace.status
        return cls(
            name=metadata.name,
            uid=metadata.uid,
            phase=status.phase if status is not None else None,
            labels=metadata.labels or {},
            annotations=metadata.annotations or {},
            creation_timestamp=metadata.creation_timestamp,
        )
