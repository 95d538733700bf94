"""Of several operators, only the holder of the Lease acts; another takes over."""

from __future__ import annotations

import json
import os
import signal

from tests.e2e.helpers import (
    FAST_OPERATOR,
    OPERATOR_START,
    READ_NAMESPACES,
    get_cluster,
    last_prober,
    register,
    service_account_token,
    status_managers,
    wait_for,
    wait_for_condition,
)


def _holder(management, namespace: str) -> str | None:
    found = management.kubectl(
        "get", "lease", "mayyam-operator", "-n", namespace, "--ignore-not-found", "-o", "json"
    )
    return json.loads(found)["spec"].get("holderIdentity") if found.strip() else None


def _probed_again(management, namespace: str, after: str):
    def check() -> str | None:
        probed = get_cluster(management, namespace, "workload")["status"]["lastProbeTime"]
        return probed if probed > after else None

    return check


def test_only_one_of_two_operators_writes_and_the_other_takes_over_when_it_dies(
    management, workload, product, make_namespace
) -> None:
    namespace = product.namespace
    first = product.start_operator("operator-a", {**FAST_OPERATOR, "MAYYAM_IDENTITY": "replica-a"})
    wait_for(
        lambda: _holder(management, namespace) == "replica-a", OPERATOR_START, "replica-a to lead"
    )
    second = product.start_operator("operator-b", {**FAST_OPERATOR, "MAYYAM_IDENTITY": "replica-b"})

    token = service_account_token(workload, make_namespace(workload), READ_NAMESPACES)
    register(
        management,
        namespace,
        "workload",
        {"token": token, "ca.crt": workload.ca_cert},
        {"server": workload.server},
    )
    obj = wait_for_condition(management, namespace, "workload", "Ready", "True")

    # Over several probes, only the leader has written the status.
    probed = obj["status"]["lastProbeTime"]
    for _ in range(2):
        probed = wait_for(_probed_again(management, namespace, probed), 15, "another probe")
    assert status_managers(management, namespace, "workload") == {"mayyam-operator/replica-a"}
    assert _holder(management, namespace) == "replica-a"
    assert "holds the Lease" not in second.log_path.read_text()

    # The leader dies without a word; the other one takes over.
    os.kill(first.pid, signal.SIGKILL)
    product.stop_process(first)
    wait_for(lambda: _holder(management, namespace) == "replica-b", 20, "replica-b to lead")
    wait_for(
        lambda: last_prober(management, namespace, "workload") == "mayyam-operator/replica-b",
        20,
        "replica-b to probe",
    )
    wait_for_condition(management, namespace, "workload", "Ready", "True")


def test_a_stopping_leader_hands_over_without_waiting_for_the_lease_to_expire(
    management, product
) -> None:
    namespace = product.namespace
    # A long Lease: only a release lets the other replica lead quickly.
    slow = {**FAST_OPERATOR, "MAYYAM_LEASE_DURATION_SECONDS": "60"}
    first = product.start_operator("operator-a", {**slow, "MAYYAM_IDENTITY": "replica-a"})
    wait_for(
        lambda: _holder(management, namespace) == "replica-a", OPERATOR_START, "replica-a to lead"
    )
    product.start_operator("operator-b", {**slow, "MAYYAM_IDENTITY": "replica-b"})

    product.stop_process(first)

    wait_for(lambda: _holder(management, namespace) == "replica-b", 40, "replica-b to lead")
