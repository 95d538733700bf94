"""Roles, rights and cluster patterns: who may do what, where."""

import logging

import pytest
from factories import JWT_SECRET, make_cluster
from fastapi.testclient import TestClient

from mayyam.api.access import Right, cluster_allowed, rights_of
from mayyam.api.auth import issue_token
from mayyam.api.config import ApiSettings
from mayyam.api.registry import ClusterRegistry

CLUSTERS = "/api/kubernetes/clusters"


def headers(settings: ApiSettings, *roles: str, clusters: list[str] | None = None) -> dict:
    token = issue_token(settings, subject="bob", roles=roles, clusters=clusters)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((), set()),
        (("viewer",), {Right.READ}),
        (("editor",), {Right.READ, Right.WRITE}),
        (("admin",), {Right.READ, Right.WRITE, Right.EXEC}),
        (("viewer", "unknown-role"), {Right.READ}),
        (("Admin",), set()),
    ],
)
def test_roles_grant_their_rights_and_unknown_roles_none(roles, expected) -> None:
    assert rights_of(roles) == expected


@pytest.mark.parametrize(
    ("cluster", "patterns", "allowed"),
    [
        ("prod-eu", None, True),
        ("prod-eu", ("prod-*",), True),
        ("dev", ("prod-*", "dev"), True),
        ("prod-eu", (), False),
        ("staging", ("prod-*",), False),
        ("prod-eu", ("PROD-*",), False),
        ("prod-eu", ("prod-?u",), True),
    ],
)
def test_cluster_patterns_are_case_sensitive_globs(cluster, patterns, allowed) -> None:
    assert cluster_allowed(cluster, patterns) is allowed


def test_a_token_without_roles_is_forbidden_not_unauthorized(
    client: TestClient, settings: ApiSettings
) -> None:
    response = client.get(f"{CLUSTERS}/fake/namespaces", headers=headers(settings))

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert (
        response.json()["message"]
        == "This needs the right to read: a token with the role admin, editor or viewer."
    )


def test_a_token_outside_its_clusters_is_forbidden_even_for_unknown_clusters(
    client: TestClient, settings: ApiSettings
) -> None:
    limited = headers(settings, "admin", clusters=["prod-*"])

    known = client.get(f"{CLUSTERS}/fake/namespaces", headers=limited)
    unknown = client.get(f"{CLUSTERS}/no-such-cluster/namespaces", headers=limited)

    # The same answer whether the cluster exists or not: nothing leaks.
    assert known.status_code == unknown.status_code == 403
    assert known.json()["message"] == "The token does not reach cluster 'fake'."


def test_the_cluster_list_shows_only_what_the_token_reaches(
    client: TestClient, settings: ApiSettings, registry: ClusterRegistry
) -> None:
    registry.put_cluster(make_cluster(name="prod-eu"))
    registry.put_cluster(make_cluster(name="prod-us"))

    everything = client.get(CLUSTERS, headers=headers(settings, "viewer"))
    limited = client.get(CLUSTERS, headers=headers(settings, "viewer", clusters=["prod-*"]))

    assert [c["name"] for c in everything.json()] == ["fake", "prod-eu", "prod-us"]
    assert [c["name"] for c in limited.json()] == ["prod-eu", "prod-us"]


def test_a_cluster_shows_its_status_and_never_its_credentials(
    client: TestClient, settings: ApiSettings, registry: ClusterRegistry
) -> None:
    cluster = make_cluster(name="prod-eu", secret="prod-eu-credentials")
    cluster["spec"]["displayName"] = "Production (EU)"
    cluster["status"] = {
        "kubernetesVersion": "v1.34.4",
        "nodeCount": 3,
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "Unauthorized", "message": "401"},
            {"type": "Reachable", "status": "True", "reason": "Reachable"},
        ],
    }
    registry.put_cluster(cluster)

    response = client.get(f"{CLUSTERS}/prod-eu", headers=headers(settings, "viewer"))

    assert response.status_code == 200
    body = response.json()
    assert body["displayName"] == "Production (EU)"
    assert (body["ready"], body["reason"]) == (False, "Unauthorized")
    assert (body["kubernetesVersion"], body["nodeCount"]) == ("v1.34.4", 3)
    assert [c["type"] for c in body["conditions"]] == ["Ready", "Reachable"]
    assert "prod-eu-credentials" not in response.text


def test_an_unknown_cluster_is_not_found(client: TestClient, settings: ApiSettings) -> None:
    response = client.get(f"{CLUSTERS}/nowhere", headers=headers(settings, "viewer"))

    assert response.status_code == 404
    assert response.json()["error"] == "CLUSTER_NOT_FOUND"


def test_reads_leave_no_audit_line(
    client: TestClient, settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mayyam.audit"):
        client.get(f"{CLUSTERS}/fake", headers=headers(settings, "viewer"))

    assert not [r for r in caplog.records if r.name == "mayyam.audit"]


def test_the_secret_must_be_long_enough_for_every_algorithm() -> None:
    with pytest.raises(ValueError, match="at least 64 bytes"):
        ApiSettings(jwt_secret=JWT_SECRET[:50], jwt_algorithms=["HS256", "HS512"])
