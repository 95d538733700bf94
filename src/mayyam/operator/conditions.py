"""Conditions in a MayyamCluster's status, written the Kubernetes way.

A MayyamCluster has three conditions, always in this order:

* ``CredentialsValid`` -- the Secret holds usable credentials and the API
  server accepted them; ``Unknown`` while they could not be tried;
* ``Reachable`` -- the API server answered; ``Unknown`` while there was
  nothing to try it with;
* ``Ready`` -- both of the above: Mayyam can work with the cluster. When it
  is not, its reason is the reason of the first condition that failed.

A condition's ``lastTransitionTime`` says when its ``status`` last changed,
not when it was last checked, so a probe that confirms the previous verdict
keeps the old time. The time of each probe goes to ``status.lastProbeTime``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from mayyam.core import crd

CREDENTIALS_VALID = "CredentialsValid"
REACHABLE = "Reachable"
READY = crd.READY_CONDITION

#: The condition types, in the order the status lists them.
CONDITION_TYPES = (CREDENTIALS_VALID, REACHABLE, READY)

Status = Literal["True", "False", "Unknown"]


@dataclass(frozen=True)
class Condition:
    """One observation about a MayyamCluster, e.g. whether it is Ready."""

    type: str
    status: Status
    reason: str
    message: str
    observed_generation: int | None = None


def format_time(moment: datetime) -> str:
    """Render a time as Kubernetes does: RFC 3339, UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_condition(
    conditions: Sequence[Mapping[str, Any]], condition_type: str
) -> Mapping[str, Any] | None:
    """The first condition of a type, or ``None``."""
    return next((c for c in conditions if c.get("type") == condition_type), None)


def merge_condition(
    existing: Sequence[Mapping[str, Any]], condition: Condition, *, now: datetime
) -> list[dict[str, Any]]:
    """Return the conditions with ``condition`` put in place of its type.

    Conditions of other types are kept as they are and in their order; a new
    type is appended.
    """
    previous = find_condition(existing, condition.type)

    # Keep the time of the last change when the status did not change.
    transition_time = format_time(now)
    if previous is not None and previous.get("status") == condition.status:
        transition_time = previous.get("lastTransitionTime") or transition_time

    rendered: dict[str, Any] = {
        "type": condition.type,
        "status": condition.status,
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


def merge_conditions(
    existing: Sequence[Mapping[str, Any]], conditions: Sequence[Condition], *, now: datetime
) -> list[dict[str, Any]]:
    """Merge several conditions, one after the other."""
    merged = [dict(c) for c in existing]
    for condition in conditions:
        merged = merge_condition(merged, condition, now=now)
    return merged
