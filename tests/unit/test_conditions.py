"""The Ready condition, and how a probe's verdict lands in the status."""

from datetime import UTC, datetime, timedelta

import kopf

from mayyam.operator.conditions import Condition, merge_condition
from mayyam.operator.handlers import record_probe
from mayyam.operator.probe import ProbeResult

EARLIER = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(minutes=5)


def ready(status: bool, reason: str = "Connected", generation: int = 1) -> Condition:
    return Condition("Ready", status, reason, f"{reason}.", observed_generation=generation)


def test_a_new_condition_gets_the_current_time() -> None:
    [condition] = merge_condition([], ready(True), now=EARLIER)

    assert condition == {
        "type": "Ready",
        "status": "True",
        "reason": "Connected",
        "message": "Connected.",
        "lastTransitionTime": "2025-01-01T12:00:00Z",
        "observedGeneration": 1,
    }


def test_the_transition_time_stays_while_the_status_stays() -> None:
    existing = merge_condition([], ready(False, "Timeout"), now=EARLIER)

    [condition] = merge_condition(existing, ready(False, "ConnectionRefused", 2), now=LATER)

    assert condition["lastTransitionTime"] == "2025-01-01T12:00:00Z"
    assert condition["reason"] == "ConnectionRefused"
    assert condition["observedGeneration"] == 2


def test_the_transition_time_moves_when_the_status_changes() -> None:
    existing = merge_condition([], ready(False, "Timeout"), now=EARLIER)

    [condition] = merge_condition(existing, ready(True), now=LATER)

    assert condition["lastTransitionTime"] == "2025-01-01T12:05:00Z"
    assert condition["status"] == "True"


def test_conditions_of_other_types_are_kept_in_place() -> None:
    other = {"type": "Synced", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}
    existing = [*merge_condition([], ready(True), now=EARLIER), other]

    merged = merge_condition(existing, ready(False, "Timeout"), now=LATER)

    assert [c["type"] for c in merged] == ["Ready", "Synced"]
    assert merged[1] == other


def test_a_successful_probe_records_the_version_and_the_probe_time() -> None:
    patch = kopf.Patch()
    result = ProbeResult(True, "Connected", "It answered.", kubernetes_version="v1.34.2")

    record_probe(patch, {}, result, generation=3, now=EARLIER)

    status = patch["status"]
    assert status["kubernetesVersion"] == "v1.34.2"
    assert status["lastProbeTime"] == "2025-01-01T12:00:00Z"
    assert status["conditions"][0]["observedGeneration"] == 3


def test_a_failed_probe_keeps_the_last_known_version() -> None:
    patch = kopf.Patch()
    previous = {
        "kubernetesVersion": "v1.34.2",
        "conditions": merge_condition([], ready(True), now=EARLIER),
    }

    record_probe(patch, previous, ProbeResult(False, "Timeout", "Slow."), generation=1, now=LATER)

    assert "kubernetesVersion" not in patch["status"]
    [condition] = patch["status"]["conditions"]
    assert (condition["status"], condition["reason"]) == ("False", "Timeout")
    assert condition["lastTransitionTime"] == "2025-01-01T12:05:00Z"
