"""The status follows the cluster, its Secret and the operator's own life."""

from __future__ import annotations

import pytest

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product
from tests.e2e.helpers import (
    FAST_OPERATOR,
    OPERATOR_START,
    READ_NAMESPACES,
    condition_of,
    get_cluster,
    register,
    secret,
    service_account_token,
    wait_for,
    wait_for_condition,
)


@pytest.fixture
def registered(management, workload, operating, make_namespace) -> tuple[Product, dict]:
    """A cluster ``workload`` registered with a token, and Ready."""
    data = {
        "token": service_account_token(workload, make_namespace(workload), READ_NAMESPACES),
        "ca.crt": workload.ca_cert,
    }
    register(management, operating.namespace, "workload", data, {"server": workload.server})
    wait_for_condition(management, operating.namespace, "workload", "Ready", "True")
    return operating, data


def _events(management: Cluster, namespace: str, name: str) -> list[dict]:
    events = management.kubectl_json(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}"
    )
    return [e for e in events["items"] if e["source"].get("component") == "mayyam-operator"]


def _put_secret(management: Cluster, namespace: str, data: dict) -> None:
    management.apply(
        {
            **secret("workload-credentials", data),
            "metadata": {"name": "workload-credentials", "namespace": namespace},
        }
    )


def test_rotated_credentials_show_in_the_status_within_seconds(management, registered) -> None:
    product, data = registered
    namespace = product.namespace

    _put_secret(management, namespace, {**data, "token": "a-revoked-token"})
    wait_for_condition(management, namespace, "workload", "Ready", "False", "Unauthorized", 15)

    _put_secret(management, namespace, data)
    wait_for_condition(management, namespace, "workload", "Ready", "True", timeout=15)

    management.kubectl("delete", "secret", "workload-credentials", "-n", namespace)
    wait_for_condition(management, namespace, "workload", "Ready", "False", "SecretNotFound", 15)

    _put_secret(management, namespace, data)
    wait_for_condition(management, namespace, "workload", "Ready", "True", timeout=15)

    # One Event per change of Ready: became ready, not, ready, not, ready.
    reasons = [
        e["reason"]
        for e in sorted(
            _events(management, namespace, "workload"), key=lambda e: e["firstTimestamp"]
        )
    ]
    assert reasons.count("ClusterNotReady") == 2
    assert reasons.count("ClusterReady") == 3


def test_an_outage_of_the_api_server_shows_and_ends(management, workload, registered) -> None:
    if workload.local is None:
        pytest.skip("needs a local cluster whose API server the test can stop")
    product, _ = registered
    namespace = product.namespace

    workload.local.control_plane.stop_apiserver()
    try:
        # Detected within an interval and a timeout (2 s each), with slack.
        obj = wait_for_condition(
            management, namespace, "workload", "Reachable", "False", timeout=15
        )
        assert condition_of(obj, "Ready")["status"] == "False"
        assert condition_of(obj, "Reachable")["reason"] in ("ConnectionRefused", "Timeout")
    finally:
        workload.local.control_plane.start_apiserver()

    # Backoff is capped at 4 s in these tests.
    wait_for_condition(management, namespace, "workload", "Ready", "True", timeout=20)


def test_the_transition_time_stays_while_probes_confirm_the_status(management, registered) -> None:
    product, _ = registered
    before = get_cluster(management, product.namespace, "workload")

    def probed_after(earlier: dict):
        def check() -> dict | None:
            obj = get_cluster(management, product.namespace, "workload")
            return (
                obj if obj["status"]["lastProbeTime"] > earlier["status"]["lastProbeTime"] else None
            )

        return check

    between = wait_for(probed_after(before), 15, "a later probe")
    after = wait_for(probed_after(between), 15, "another probe")

    for kind in ("CredentialsValid", "Reachable", "Ready"):
        assert (
            condition_of(after, kind)["lastTransitionTime"]
            == condition_of(before, kind)["lastTransitionTime"]
        )


def test_a_restarted_operator_probes_again_and_sees_what_changed_meanwhile(
    management, registered
) -> None:
    product, _ = registered
    namespace = product.namespace
    [operator] = product.processes

    product.stop_process(operator)
    management.kubectl(
        "patch",
        "-n",
        namespace,
        "mayyamcluster/workload",
        "--type=merge",
        "-p",
        '{"spec": {"displayName": "Renamed while nobody watched"}}',
    )
    product.start_operator(env=FAST_OPERATOR)

    def probed_generation_two() -> bool:
        obj = get_cluster(management, namespace, "workload")
        return condition_of(obj, "Ready").get("observedGeneration") == 2

    wait_for(probed_generation_two, OPERATOR_START, "the probe of the new generation")


def test_a_cluster_is_deleted_at_once_while_the_operator_is_down(management, registered) -> None:
    product, _ = registered
    namespace = product.namespace
    obj = get_cluster(management, namespace, "workload")
    assert not obj["metadata"].get("finalizers")

    product.stop()
    management.kubectl("delete", "-n", namespace, "mayyamcluster/workload", "--timeout=20s")

    names = management.kubectl("get", "-n", namespace, "mayyamclusters", "-o", "name")
    assert names.strip() == ""
