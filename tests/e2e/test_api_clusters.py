"""The registered clusters, rights, metrics and logs, through the real API."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess

import httpx
import pytest

from mayyamdev.registration import WORKLOAD_ACCESS
from tests.e2e.conftest import ServedClusters
from tests.e2e.helpers import wait_for


def test_the_clusters_are_listed_with_their_status(served: ServedClusters, workload) -> None:
    with served.client("viewer") as api:
        listed = api.get("/clusters")
        remote = api.get("/clusters/remote")

    assert listed.status_code == 200, listed.text
    assert [c["name"] for c in listed.json()] == ["local", "remote"]
    assert remote.status_code == 200
    body = remote.json()
    assert body["ready"] is True and body["reason"]
    assert body["server"] == workload.server
    version = json.loads(workload.kubectl("version", "-o", "json"))["serverVersion"]
    assert body["kubernetesVersion"] == version["gitVersion"]
    assert {c["type"] for c in body["conditions"]} == {"CredentialsValid", "Reachable", "Ready"}
    # Nothing of the credentials: not even the Secret's name.
    assert "remote-credentials" not in remote.text


def test_a_token_limited_to_some_clusters_sees_and_reaches_only_those(
    served: ServedClusters,
) -> None:
    with served.client("viewer", clusters=["rem*"]) as api:
        listed = api.get("/clusters")
        allowed = api.get("/clusters/remote/namespaces")
        refused = api.get("/clusters/local/namespaces")
        unknown = api.get("/clusters/elsewhere/namespaces")

    assert [c["name"] for c in listed.json()] == ["remote"]
    assert allowed.status_code == 200
    assert refused.status_code == unknown.status_code == 403
    assert refused.json()["error"] == "FORBIDDEN"


def test_a_token_without_a_role_is_forbidden(served: ServedClusters) -> None:
    with served.client() as api:
        response = api.get("/clusters/remote/namespaces")

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_unknown_routes_and_invalid_names_answer_with_the_error_body(
    served: ServedClusters,
) -> None:
    with served.client("viewer") as api:
        unknown = api.get("/no/such/route")
        invalid = api.get("/clusters/Not_A_Name/namespaces")

    assert unknown.status_code == 404
    assert unknown.json()["error"] == "NOT_FOUND"
    assert invalid.status_code == 422
    assert invalid.json()["details"][0]["field"] == "path.cluster_id"


def test_metrics_count_requests_by_route_and_need_no_token(served: ServedClusters) -> None:
    with served.client("viewer") as api:
        api.get("/clusters/remote/namespaces")

    metrics = httpx.get(f"{served.product.api_url}/metrics")

    assert metrics.status_code == 200
    route = "/api/kubernetes/clusters/{cluster_id}/namespaces"
    assert f'mayyam_http_requests_total{{method="GET",route="{route}",status="200"}}' in (
        metrics.text
    )


def test_every_request_is_logged_and_writes_are_audited_without_values(
    served: ServedClusters,
) -> None:
    name = f"e2e-audit-{secrets.token_hex(3)}"
    with served.client("editor") as api:
        created = api.post("/clusters/remote/namespaces", json={"name": name})
        api.delete(f"/clusters/remote/namespaces/{name}")
    assert created.status_code == 201, created.text

    log = served.product.logs / "api.log"
    token = served.token("editor")

    def audited() -> list[str]:
        return [line for line in log.read_text().splitlines() if "mayyam.audit" in line]

    lines = wait_for(lambda: [line for line in audited() if name in line], 10, "audit lines")
    assert any("create_namespace by e2e on cluster remote" in line for line in lines)
    assert any("delete_namespace by e2e on cluster remote" in line for line in lines)
    text = log.read_text()
    assert "cluster=remote user=e2e status=201" in text
    # The token never shows, whole or in parts.
    assert token not in text
    assert token.split(".")[1] not in text


@pytest.mark.parametrize("size", [4 * 1024 * 1024])
def test_a_body_over_the_limit_is_refused_before_the_cluster_sees_it(
    served: ServedClusters, size: int
) -> None:
    name = f"e2e-big-{secrets.token_hex(3)}"
    with served.client("editor") as api:
        response = api.post(
            "/clusters/remote/namespaces",
            json={"name": name, "labels": {"x": base64.b64encode(b"0" * size).decode()}},
        )
        missing = api.get(f"/clusters/remote/namespaces/{name}")

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert missing.status_code == 404


def test_a_chunked_body_over_the_limit_is_refused_too(served: ServedClusters) -> None:
    def chunks():
        yield b'{"data": {"big": "'
        for _ in range(4):
            yield b"0" * (1024 * 1024)
        yield b'"}}'

    with served.client("editor") as api:
        response = api.put(
            "/clusters/remote/namespaces/default/configmaps/e2e-chunked",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        missing = api.get("/clusters/remote/namespaces/default/configmaps/e2e-chunked")

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("verb", "resource", "allowed"),
    [
        ("create", "pods --subresource=exec", "yes"),
        ("patch", "deployments.apps --subresource=scale", "yes"),
        ("update", "secrets", "yes"),
        ("delete", "namespaces", "yes"),
        ("list", "events", "yes"),
        ("delete", "pods", "no"),
        ("update", "deployments.apps", "no"),
        ("create", "clusterroles.rbac.authorization.k8s.io", "no"),
    ],
)
def test_the_workload_access_example_grants_what_the_api_uses_and_no_more(
    workload, verb: str, resource: str, allowed: str
) -> None:
    # Applied as a user would; the served clusters' accounts have the same rules.
    workload.kubectl("apply", "-f", str(WORKLOAD_ACCESS))

    answer = subprocess.run(
        workload.kubectl_command(
            "auth",
            "can-i",
            verb,
            *resource.split(),
            "--as=system:serviceaccount:mayyam-access:mayyam",
        ),
        capture_output=True,
        text=True,
    ).stdout.strip()

    assert answer == allowed
