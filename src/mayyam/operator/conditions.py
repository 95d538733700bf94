"""Conditions in a MayyamCluster's status, written the Kubernetes way.

A condition's ``lastTransitionTime`` says when its ``status`` last changed,
not when it was last checked, so a probe that confirms the previous verdict
keeps the old time. The time of each probe goes to ``status.lastProbeTime``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Condition:
    """One observation about a MayyamCluster, e.g. whether it is Ready."""

    type: str
    status: bool
    reason: str
    message: str
    observed_generation: int | None = None


def format_time(moment: datetime) -> str:
    """Render a time as Kubernetes does: RFC 3339, UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_condition(
    existing: Sequence[Mapping[str, Any]], condition: Condition, *, now: datetime
) -> list[dict[str, Any]]:
    """Return the conditions with ``condition`` put in place of its type.

    Conditions of other types are kept as they are and in their order; a new
    type is appended.
    """
    new_status = "True" if condition.status else "False"
    previous = next((c for c in existing if c.get("type") == condition.type), None)

    # Keep the time of the last change when the status did not change.
    transition_time = format_time(now)
    if previous is not None and previous.get("status") == new_status:
        transition_time = previous.get("lastTransitionTime") or transition_time

    rendered: dict[str, Any] = {
        "type": condition.type,
        "status": new_status,
        "reason": condition.reason,
        "message": condition.message,
        "lastTransitionTime": transition_time,
    }
    if condition.observed_generation is not None:
        rendered["observedGeneration"] = condition.observed_generation

    # Replace the first condition of this type in place; drop duplicates.
    merged: list[dict[str, Any]] = []
    for current in existing:
        if current.get("type") != condition.type:
            merged.append(dict(current))
        elif current is previous:
            merged.append(rendered)
    if previous is None:
        merged.append(rendered)
    return merged
