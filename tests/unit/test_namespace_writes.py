"""Creating and deleting namespaces: checked first, protected ones never touched."""

import logging
from collections.abc import Callable

import pytest
from factories import NAMESPACE
from fake_kubernetes import FakeKubernetes, status_object
from fastapi.testclient import TestClient

NAMESPACES = "/api/kubernetes/clusters/fake/namespaces"

Headers = Callable[..., dict[str, str]]


def created(name: str, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": {**labels, "kubernetes.io/metadata.name": name},
            "creationTimestamp": "2025-01-02T03:04:05Z",
            "managedFields": [{"manager": "mayyam"}],
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def test_a_namespace_is_created_with_its_labels(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces", created("apps", {"team": "web"}), status=201, method="POST"
    )

    response = client.post(
        NAMESPACES, json={"name": "apps", "labels": {"team": "web"}}, headers=headers_for("editor")
    )

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "apps"
    assert response.json()["phase"] == "Active"
    assert response.json()["labels"]["team"] == "web"
    [write] = fake_cluster.writes()
    assert (write.method, write.path) == ("POST", "/api/v1/namespaces")
    assert write.body["metadata"] == {"name": "apps", "labels": {"team": "web"}}


def test_the_audit_line_names_the_new_namespace(
    client: TestClient,
    fake_cluster: FakeKubernetes,
    headers_for: Headers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_cluster.answer("/api/v1/namespaces", created("apps", {}), status=201, method="POST")

    with caplog.at_level(logging.INFO, logger="mayyam"):
        client.post(NAMESPACES, json={"name": "apps"}, headers=headers_for("editor"))

    [audit] = [r for r in caplog.records if r.name == "mayyam.audit"]
    assert "object=namespaces/apps " in audit.getMessage()
    assert "by alice on cluster fake" in audit.getMessage()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Apps"}, "body.name"),
        ({"name": "apps_1"}, "body.name"),
        ({"name": "a" * 64}, "body.name"),
        ({"name": ""}, "body.name"),
        ({}, "body.name"),
        ({"name": "apps", "labels": {"-team": "web"}}, "body.labels.-team.[key]"),
        ({"name": "apps", "labels": {"a/b/c": "web"}}, "body.labels.a/b/c.[key]"),
        (
            {"name": "apps", "labels": {"x" * 254 + "/team": "w"}},
            f"body.labels.{'x' * 254}/team.[key]",
        ),
        ({"name": "apps", "labels": {"team": "w" * 64}}, "body.labels.team"),
        ({"name": "apps", "labels": {"team": "web/1"}}, "body.labels.team"),
        ({"name": "apps", "labels": {"team": 1}}, "body.labels.team"),
        ({"name": "apps", "labels": None}, "body.labels"),
        ({"name": "apps", "annotations": {}}, "body.annotations"),
    ],
)
def test_an_invalid_namespace_is_refused_before_the_cluster_is_called(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, body: dict, field: str
) -> None:
    response = client.post(NAMESPACES, json=body, headers=headers_for("editor"))

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert [d["field"] for d in response.json()["details"]] == [field]
    assert fake_cluster.requests == []


def test_an_existing_namespace_answers_conflict(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces",
        status_object(409, "AlreadyExists", 'namespaces "apps" already exists'),
        status=409,
        method="POST",
    )

    response = client.post(NAMESPACES, json={"name": "apps"}, headers=headers_for("editor"))

    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"
    assert response.json()["reason"] == "AlreadyExists"


def test_a_deleted_namespace_is_reported_as_deleted(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    terminating = created("apps", {})
    terminating["status"] = {"phase": "Terminating"}
    fake_cluster.answer("/api/v1/namespaces/apps", terminating, method="DELETE")

    response = client.delete(f"{NAMESPACES}/apps", headers=headers_for("editor"))

    assert response.status_code == 202, response.text
    assert response.json() == {"status": "deleted", "name": "apps"}
    assert [(w.method, w.path) for w in fake_cluster.writes()] == [
        ("DELETE", "/api/v1/namespaces/apps")
    ]


@pytest.mark.parametrize(
    "name", ["default", "kube-system", "kube-public", "kube-node-lease", NAMESPACE]
)
def test_a_protected_namespace_is_never_deleted(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, name: str
) -> None:
    response = client.delete(f"{NAMESPACES}/{name}", headers=headers_for("admin"))

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert "protected" in response.json()["message"]
    assert fake_cluster.requests == []


def test_deleting_a_missing_namespace_answers_not_found(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces/ghost",
        status_object(404, "NotFound", 'namespaces "ghost" not found'),
        status=404,
        method="DELETE",
    )

    response = client.delete(f"{NAMESPACES}/ghost", headers=headers_for("editor"))

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", NAMESPACES), ("DELETE", f"{NAMESPACES}/apps")]
)
def test_a_viewer_may_not_change_namespaces(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, method: str, path: str
) -> None:
    response = client.request(method, path, json={"name": "apps"}, headers=headers_for("viewer"))

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert fake_cluster.requests == []
