"""Access and audit lines, metrics, and the request body limit."""

import logging
from urllib.parse import quote

import pytest
from factories import CLUSTER_TOKEN, JWT_SECRET, make_cluster, make_secret
from fastapi.testclient import TestClient
from pydantic import BaseModel

from mayyam.api import ApiSettings, create_app
from mayyam.api.auth import issue_token
from mayyam.api.deps import CLUSTER_PATH, NamespaceName, ObjectName, WriteCluster
from mayyam.api.registry import ClusterRegistry
from mayyam.core.credentials import build_cluster_client
from mayyam.core.logs import JsonFormatter

WRITE = "/api/kubernetes/clusters/fake/namespaces/apps/widgets/blue"


@pytest.fixture
def app_client(settings: ApiSettings, registry: ClusterRegistry):
    """The application with one extra write route, as the real ones declare it."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000}), registry=registry)

    @app.put(f"{CLUSTER_PATH}/namespaces/{{namespace}}/widgets/{{name}}")
    async def replace_widget(
        cluster: WriteCluster, namespace: NamespaceName, name: ObjectName, body: Widget
    ) -> dict[str, int]:
        return {"size": len(body.value)}

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


class Widget(BaseModel):
    """A body as the real routes take one: parsed by FastAPI."""

    value: str = ""


def bearer(settings: ApiSettings, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='dora', roles=roles)}"}


def test_a_write_leaves_an_audit_line_with_its_outcome(
    app_client: TestClient, settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = app_client.put(
            WRITE, json={"value": "value-never-logged"}, headers=bearer(settings, "editor")
        )

    assert response.status_code == 200
    audit = [r for r in caplog.records if r.name == "mayyam.audit"]
    assert len(audit) == 1
    assert audit[0].fields == {
        "audit": True,
        "user": "dora",
        "cluster": "fake",
        "action": "replace_widget",
        "namespace": "apps",
        "object": "widgets/blue",
        "status": 200,
    }
    assert "value-never-logged" not in caplog.text


def test_a_refused_write_is_audited_with_its_status_only_when_authorized(
    app_client: TestClient, settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        refused = app_client.put(WRITE, json={}, headers=bearer(settings, "viewer"))

    assert refused.status_code == 403
    assert not [r for r in caplog.records if r.name == "mayyam.audit"]


def test_the_access_line_names_route_user_and_status_in_json(
    app_client: TestClient, settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        app_client.put(WRITE, json={}, headers=bearer(settings, "editor"))

    access = next(r for r in caplog.records if r.name == "mayyam.api.access_log")
    line = JsonFormatter().format(access)
    assert '"http_route":"/api/kubernetes/clusters/{cluster_id}/namespaces/{namespace}' in (
        line.replace(" ", "")
    )
    assert '"user": "dora"' in line
    assert '"status": 200' in line


def test_an_announced_body_over_the_limit_is_refused_with_413(
    app_client: TestClient, settings: ApiSettings
) -> None:
    big = {"value": "x" * 1001}
    response = app_client.put(WRITE, json=big, headers=bearer(settings, "editor"))

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_body_over_the_limit_is_refused_with_413(
    app_client: TestClient, settings: ApiSettings
) -> None:
    def chunks():
        yield b'{"value": "'
        for _ in range(5):
            yield b"y" * 300
        yield b'"}'

    headers = {**bearer(settings, "editor"), "Content-Type": "application/json"}
    response = app_client.put(WRITE, content=chunks(), headers=headers)

    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


def test_a_body_within_the_limit_is_read_whole(
    app_client: TestClient, settings: ApiSettings
) -> None:
    def chunks():
        yield b'{"value": "'
        yield b"z" * 900
        yield b'"}'

    headers = {**bearer(settings, "editor"), "Content-Type": "application/json"}
    response = app_client.put(WRITE, content=chunks(), headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"size": 900}


def test_metrics_count_requests_by_route_and_status_without_a_token(
    app_client: TestClient, settings: ApiSettings
) -> None:
    app_client.put(WRITE, json={}, headers=bearer(settings, "editor"))
    app_client.put(WRITE, json={}, headers=bearer(settings, "viewer"))
    app_client.get("/no/such/route")

    metrics = app_client.get("/metrics")

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    route = "/api/kubernetes/clusters/{cluster_id}/namespaces/{namespace}/widgets/{name}"
    assert f'mayyam_http_requests_total{{method="PUT",route="{route}",status="200"}} 1.0' in text
    assert f'mayyam_http_requests_total{{method="PUT",route="{route}",status="403"}} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "mayyam_http_request_duration_seconds_bucket" in text


def test_metrics_count_errors_of_unreachable_clusters_by_reason(
    settings: ApiSettings, closed_port: int, authority
) -> None:
    registry = ClusterRegistry(build_cluster_client)
    server = f"https://127.0.0.1:{closed_port}"
    registry.replace_clusters([make_cluster(name="gone", server=server)])
    registry.replace_secrets([make_secret({"token": CLUSTER_TOKEN, "ca.crt": authority.pem})])

    with TestClient(create_app(settings, registry=registry)) as client:
        refused = client.get(
            "/api/kubernetes/clusters/gone/namespaces", headers=bearer(settings, "viewer")
        )
        text = client.get("/metrics").text

    assert refused.status_code == 502
    assert 'mayyam_cluster_errors_total{cluster="gone",reason="ConnectionRefused"} 1.0' in text


def test_tokens_signed_with_another_secret_do_not_reach_metrics_labels(
    app_client: TestClient,
) -> None:
    other = ApiSettings(jwt_secret=JWT_SECRET[::-1])
    app_client.get("/api/kubernetes/clusters", headers=bearer(other, "viewer"))

    assert 'route="/api/kubernetes/clusters",status="401"' in app_client.get("/metrics").text


def test_a_client_cannot_add_lines_to_the_text_log(
    app_client: TestClient, settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "x\n2026-01-01 INFO mayyam.audit: FORGED"
    token = issue_token(settings, subject="mallory\nINFO forged", roles=["editor"])

    with caplog.at_level(logging.INFO):
        app_client.get(f"/api/kubernetes/clusters/{quote(forged)}/namespaces")
        app_client.put(WRITE, json={}, headers={"Authorization": f"Bearer {token}"})

    for record in caplog.records:
        assert "\n" not in record.getMessage()
    assert any("mallory\\nINFO forged" in r.getMessage() for r in caplog.records)


def test_unknown_methods_share_one_metrics_label(app_client: TestClient) -> None:
    for method in ("FOOBAR1", "FOOBAR2"):
        app_client.request(method, "/healthz")

    text = app_client.get("/metrics").text

    assert "FOOBAR" not in text
    assert 'method="other",route="/healthz"' in text


def test_a_path_with_a_trailing_slash_is_not_redirected(
    app_client: TestClient, settings: ApiSettings
) -> None:
    response = app_client.get(
        "/api/kubernetes/clusters/",
        headers={**bearer(settings, "viewer"), "Host": "elsewhere.example"},
        follow_redirects=False,
    )

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert "location" not in response.headers
