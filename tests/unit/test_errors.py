"""Every failure answers with the same error body, in the right status."""

import logging
import socket

import pytest
from factories import make_cluster
from fake_kubernetes import FakeKubernetes, status_object
from fastapi.testclient import TestClient

from mayyam.api.registry import ClusterRegistry
from mayyam.core.errors import ClusterUnreachableError
from mayyam.core.remote import transport_error

NAMESPACES = "/api/kubernetes/clusters/fake/namespaces"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_an_unknown_route_answers_not_found(client: TestClient) -> None:
    body = assert_error(client.get("/no/such/route"), 404, "NOT_FOUND")

    assert "/no/such/route" in body["message"]


def test_a_wrong_method_answers_method_not_allowed(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    assert_error(client.patch(NAMESPACES, headers=auth_headers), 405, "METHOD_NOT_ALLOWED")


def test_an_invalid_path_parameter_answers_with_the_field_path(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    response = client.get(f"{NAMESPACES}/Not_A_Namespace", headers=auth_headers)

    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert [detail["field"] for detail in body["details"]] == ["path.name"]


def test_an_unknown_cluster_answers_cluster_not_found(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    response = client.get("/api/kubernetes/clusters/elsewhere/namespaces", headers=auth_headers)

    body = assert_error(response, 404, "CLUSTER_NOT_FOUND")
    assert "elsewhere" in body["message"]


def test_a_missing_namespace_answers_not_found_naming_it(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces/ghost",
        status_object(404, "NotFound", 'namespaces "ghost" not found'),
        status=404,
    )

    body = assert_error(client.get(f"{NAMESPACES}/ghost", headers=auth_headers), 404, "NOT_FOUND")
    assert "ghost" in body["message"]
    assert body["reason"] == "NotFound"


@pytest.mark.parametrize(
    ("remote_status", "remote_reason", "status", "code"),
    [
        (403, "Forbidden", 403, "FORBIDDEN"),
        (409, "Conflict", 409, "CONFLICT"),
        (422, "Invalid", 422, "VALIDATION_ERROR"),
        (500, "InternalError", 502, "CLUSTER_ERROR"),
    ],
)
def test_remote_errors_pass_through_with_their_reason(
    client: TestClient,
    auth_headers: dict[str, str],
    fake_cluster: FakeKubernetes,
    remote_status: int,
    remote_reason: str,
    status: int,
    code: str,
) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces",
        status_object(remote_status, remote_reason, "the cluster said no"),
        status=remote_status,
    )

    body = assert_error(client.get(NAMESPACES, headers=auth_headers), status, code)
    assert body["reason"] == remote_reason
    assert body["message"] == "the cluster said no"


def test_refused_cluster_credentials_are_not_mistaken_for_ours(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.token = "rotated-elsewhere"

    body = assert_error(client.get(NAMESPACES, headers=auth_headers), 502, "CLUSTER_UNAUTHORIZED")
    assert body["reason"] == "Unauthorized"


def test_an_unreachable_cluster_answers_bad_gateway(
    client: TestClient, auth_headers: dict[str, str], registry: ClusterRegistry, closed_port: int
) -> None:
    registry.put_cluster(
        make_cluster(server=f"https://127.0.0.1:{closed_port}", resource_version="2")
    )

    body = assert_error(client.get(NAMESPACES, headers=auth_headers), 502, "CLUSTER_UNREACHABLE")
    assert "refused" in body["message"]


def test_a_slow_cluster_answers_gateway_timeout(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.delay = 1.5

    assert_error(client.get(NAMESPACES, headers=auth_headers), 504, "CLUSTER_TIMEOUT")


def test_unusable_credentials_answer_bad_gateway_with_the_reason(
    client: TestClient, auth_headers: dict[str, str], registry: ClusterRegistry
) -> None:
    registry.replace_secrets([])

    body = assert_error(
        client.get(NAMESPACES, headers=auth_headers), 502, "CLUSTER_CREDENTIALS_INVALID"
    )
    assert "fake-credentials" in body["message"]


def test_requests_before_the_clusters_are_loaded_answer_not_ready(
    settings, auth_headers: dict[str, str]
) -> None:
    from mayyam.api import create_app
    from mayyam.core.credentials import build_cluster_client

    app = create_app(settings, registry=ClusterRegistry(build_cluster_client))
    with TestClient(app) as client:
        assert_error(client.get(NAMESPACES, headers=auth_headers), 503, "NOT_READY")
        assert_error(client.get("/readyz"), 503, "NOT_READY")


def test_an_unexpected_error_answers_internal_without_details(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    client.app.add_api_route("/explode", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")

    body = assert_error(response, 500, "INTERNAL")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body == {"error": "INTERNAL", "message": "An internal error occurred."}
    assert "Unexpected error" in caplog.text


def test_errors_of_our_own_configuration_are_not_shown_to_clients(
    settings, auth_headers: dict[str, str]
) -> None:
    from mayyam.api import create_app
    from mayyam.core.errors import ConfigurationError

    def fail(cluster, secret):
        raise ConfigurationError("The management kubeconfig '/etc/private' cannot be loaded.")

    registry = ClusterRegistry(fail)
    registry.replace_clusters([make_cluster()])
    registry.replace_secrets([])
    with TestClient(
        create_app(settings, registry=registry), raise_server_exceptions=False
    ) as client:
        response = client.get(NAMESPACES, headers=auth_headers)

    assert_error(response, 500, "INTERNAL")
    assert "/etc/private" not in response.text


@pytest.mark.parametrize(
    ("error", "reason", "detail"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefused", "refused"),
        (socket.gaierror(-2, "Name or service not known"), "DNSFailure", "Name or service"),
    ],
)
def test_plain_socket_errors_are_classified_like_urllib3s(error, reason, detail) -> None:
    described = transport_error("prod", error)

    assert isinstance(described, ClusterUnreachableError)
    assert described.reason == reason
    assert detail in described.message
