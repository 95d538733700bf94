"""The three conditions, and how a probe's verdict lands in the status."""

from datetime import UTC, datetime, timedelta

from mayyam.operator.conditions import Condition, merge_condition
from mayyam.operator.probe import ProbeResult, Verdict
from mayyam.operator.status import ready_change, render_status

EARLIER = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(minutes=5)

ACCEPTED = Verdict("True", "Accepted", "Accepted.")
CONNECTED = Verdict("True", "Connected", "It answered.")
NOT_TRIED = Verdict("Unknown", "NotTried", "Not tried.")


def ready(status: bool, reason: str = "Ready", generation: int = 1) -> Condition:
    text = "True" if status else "False"
    return Condition("Ready", text, reason, f"{reason}.", observed_generation=generation)


def test_a_new_condition_gets_the_current_time() -> None:
    [condition] = merge_condition([], ready(True), now=EARLIER)

    assert condition == {
        "type": "Ready",
        "status": "True",
        "reason": "Ready",
        "message": "Ready.",
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


def test_ready_is_true_only_when_credentials_and_reachability_are() -> None:
    assert ProbeResult(ACCEPTED, CONNECTED).ready.status == "True"

    refused = Verdict("False", "Unauthorized", "No.")
    unreachable = Verdict("False", "Timeout", "Slow.")
    assert ProbeResult(refused, CONNECTED).ready == Verdict("False", "Unauthorized", "No.")
    assert ProbeResult(NOT_TRIED, unreachable).ready == Verdict("False", "Timeout", "Slow.")


def test_a_successful_probe_records_all_three_conditions_the_version_and_the_nodes() -> None:
    result = ProbeResult(ACCEPTED, CONNECTED, kubernetes_version="v1.34.2", node_count=3)

    status = render_status({}, result, generation=3, now=EARLIER)

    assert [c["type"] for c in status["conditions"]] == ["CredentialsValid", "Reachable", "Ready"]
    assert all(c["status"] == "True" for c in status["conditions"])
    assert all(c["observedGeneration"] == 3 for c in status["conditions"])
    assert status["kubernetesVersion"] == "v1.34.2"
    assert status["nodeCount"] == 3
    assert status["lastProbeTime"] == "2025-01-01T12:00:00Z"


def test_a_failed_probe_keeps_the_last_known_version_and_forgets_the_nodes() -> None:
    previous = render_status(
        {}, ProbeResult(ACCEPTED, CONNECTED, "v1.34.2", 3), generation=1, now=EARLIER
    )
    failed = ProbeResult(NOT_TRIED, Verdict("False", "Timeout", "Slow."))

    status = render_status(previous, failed, generation=1, now=LATER)

    assert "kubernetesVersion" not in status
    assert status["nodeCount"] is None
    credentials, reachable, ready_ = status["conditions"]
    assert (credentials["status"], credentials["reason"]) == ("Unknown", "NotTried")
    assert (reachable["status"], reachable["reason"]) == ("False", "Timeout")
    assert (ready_["status"], ready_["reason"]) == ("False", "Timeout")
    assert ready_["lastTransitionTime"] == "2025-01-01T12:05:00Z"


def test_an_event_is_due_only_when_ready_changes() -> None:
    good = render_status({}, ProbeResult(ACCEPTED, CONNECTED), generation=1, now=EARLIER)
    still_good = render_status(good, ProbeResult(ACCEPTED, CONNECTED), generation=1, now=LATER)
    bad = render_status(
        good, ProbeResult(NOT_TRIED, Verdict("False", "Timeout", "Slow.")), generation=1, now=LATER
    )

    assert ready_change({}, good) is not None
    assert ready_change(good, still_good) is None
    change = ready_change(good, bad)
    assert change is not None and change["reason"] == "Timeout"
