"""Reading the namespaces of a registered cluster."""

import logging

import pytest
from factories import CLUSTER_TOKEN
from fake_kubernetes import FakeKubernetes
from fastapi.testclient import TestClient

NAMESPACES = "/api/kubernetes/clusters/fake/namespaces"


def namespace(name: str, phase: str = "Active") -> dict:
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": {"team": "platform"},
            "creationTimestamp": "2025-01-02T03:04:05Z",
        },
        "status": {"phase": phase},
    }


@pytest.fixture
def namespaces(fake_cluster: FakeKubernetes) -> None:
    fake_cluster.answer(
        "/api/v1/namespaces",
        {
            "kind": "NamespaceList",
            "metadata": {},
            "items": [namespace("default"), namespace("apps")],
        },
    )
    fake_cluster.answer("/api/v1/namespaces/apps", namespace("apps", phase="Terminating"))


@pytest.mark.usefixtures("namespaces")
def test_namespaces_are_listed_as_summaries(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    response = client.get(NAMESPACES, headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == [
        {
            "name": name,
            "uid": f"uid-{name}",
            "phase": "Active",
            "labels": {"team": "platform"},
            "annotations": {},
            "creationTimestamp": "2025-01-02T03:04:05Z",
            "deletionTimestamp": None,
            "conditions": [],
        }
        for name in ("default", "apps")
    ]


@pytest.mark.usefixtures("namespaces")
def test_one_namespace_is_read_by_name(client: TestClient, auth_headers: dict[str, str]) -> None:
    response = client.get(f"{NAMESPACES}/apps", headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["name"] == "apps"
    assert response.json()["phase"] == "Terminating"


@pytest.mark.usefixtures("namespaces")
def test_the_access_log_names_route_cluster_and_user_but_no_token(
    client: TestClient, auth_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mayyam"):
        client.get(NAMESPACES, headers=auth_headers)

    [line] = [r for r in caplog.records if r.name == "mayyam.api.access_log"]
    assert line.getMessage().startswith(
        "GET /api/kubernetes/clusters/{cluster_id}/namespaces cluster=fake user=alice status=200"
    )
    token = auth_headers["Authorization"].split()[1]
    assert token not in caplog.text
    assert CLUSTER_TOKEN not in caplog.text
