"""Reading, scaling and restarting Deployments, against the fake cluster."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fake_kubernetes import FakeKubernetes, status_object
from fastapi.testclient import TestClient

DEPLOYMENTS = "/api/kubernetes/clusters/fake/namespaces/apps/deployments"
REMOTE = "/apis/apps/v1/namespaces/apps/deployments"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

Headers = Callable[..., dict[str, str]]


def deployment(name: str = "web", paused: bool = False, replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "apps",
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "replicas": replicas,
            "paused": paused,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": {"team": "web"}},
                "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            },
        },
    }


def scale(replicas: int) -> dict:
    spec = {"replicas": replicas} if replicas else {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {}, "spec": spec}


def test_deployments_are_listed_as_kubernetes_objects_without_managed_fields(
    client: TestClient, fake_cluster: FakeKubernetes, auth_headers: dict[str, str]
) -> None:
    listing = {"kind": "DeploymentList", "items": [deployment("web"), deployment("api")]}
    for item in listing["items"]:
        del item["kind"], item["apiVersion"]
    fake_cluster.answer(REMOTE, listing)

    response = client.get(DEPLOYMENTS, headers=auth_headers)

    assert response.status_code == 200, response.text
    items = response.json()
    assert [item["metadata"]["name"] for item in items] == ["web", "api"]
    assert all(item["kind"] == "Deployment" for item in items)
    assert all(item["apiVersion"] == "apps/v1" for item in items)
    assert all("managedFields" not in item["metadata"] for item in items)


def test_one_deployment_is_read_without_managed_fields(
    client: TestClient, fake_cluster: FakeKubernetes, auth_headers: dict[str, str]
) -> None:
    fake_cluster.answer(f"{REMOTE}/web", deployment())

    response = client.get(f"{DEPLOYMENTS}/web", headers=auth_headers)

    assert response.status_code == 200, response.text
    assert response.json()["spec"]["replicas"] == 2
    assert "managedFields" not in response.json()["metadata"]


def test_a_missing_deployment_answers_not_found(
    client: TestClient, fake_cluster: FakeKubernetes, auth_headers: dict[str, str]
) -> None:
    fake_cluster.answer(
        f"{REMOTE}/ghost",
        status_object(404, "NotFound", 'deployments.apps "ghost" not found'),
        status=404,
    )

    response = client.get(f"{DEPLOYMENTS}/ghost", headers=auth_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"
    assert "ghost" in response.json()["message"]


@pytest.mark.parametrize("replicas", [0, 3, 2**31 - 1])
def test_scaling_patches_the_scale_subresource(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, replicas: int
) -> None:
    fake_cluster.answer(f"{REMOTE}/web/scale", scale(replicas), method="PATCH")

    response = client.post(
        f"{DEPLOYMENTS}/web:scale", json={"replicas": replicas}, headers=headers_for("editor")
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "scaled", "replicas": replicas}
    [write] = fake_cluster.writes()
    assert (write.method, write.path) == ("PATCH", f"{REMOTE}/web/scale")
    assert write.content_type == "application/merge-patch+json"
    assert write.body == {"spec": {"replicas": replicas}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"replicas": True}, "body.replicas", id="boolean"),
        pytest.param({"replicas": 1.5}, "body.replicas", id="fraction"),
        pytest.param({"replicas": 2.0}, "body.replicas", id="float"),
        pytest.param({"replicas": "3"}, "body.replicas", id="string"),
        pytest.param({"replicas": None}, "body.replicas", id="null"),
        pytest.param({"replicas": -1}, "body.replicas", id="negative"),
        pytest.param({"replicas": 2**31}, "body.replicas", id="beyond-int32"),
        pytest.param({}, "body.replicas", id="missing"),
        pytest.param({"replicas": 1, "paused": True}, "body.paused", id="unknown-field"),
    ],
)
def test_an_invalid_scale_body_is_refused_with_its_field(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, body: dict, field: str
) -> None:
    response = client.post(f"{DEPLOYMENTS}/web:scale", json=body, headers=headers_for("editor"))

    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["details"]] == [field]
    assert fake_cluster.requests == []


def test_scaling_a_missing_deployment_answers_not_found(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(
        f"{REMOTE}/ghost/scale",
        status_object(404, "NotFound", 'deployments.apps "ghost" not found'),
        status=404,
        method="PATCH",
    )

    response = client.post(
        f"{DEPLOYMENTS}/ghost:scale", json={"replicas": 1}, headers=headers_for("editor")
    )

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_a_restart_patches_only_the_restarted_at_annotation(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(f"{REMOTE}/web", deployment())
    fake_cluster.answer(f"{REMOTE}/web", deployment(), method="PATCH")
    before = datetime.now(UTC).replace(microsecond=0)

    response = client.post(f"{DEPLOYMENTS}/web:restart", headers=headers_for("editor"))

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "restarted"}
    [write] = fake_cluster.writes()
    assert (write.method, write.path) == ("PATCH", f"{REMOTE}/web")
    # A merge of one key: the template's other annotations stay as they are.
    assert write.content_type == "application/strategic-merge-patch+json"
    annotations = write.body["spec"]["template"]["metadata"]["annotations"]
    assert list(annotations) == [RESTARTED_AT]
    assert write.body == {"spec": {"template": {"metadata": {"annotations": annotations}}}}
    stamped = datetime.fromisoformat(annotations[RESTARTED_AT])
    assert annotations[RESTARTED_AT].endswith("Z")
    assert before <= stamped <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_paused_deployment_is_not_restarted(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    fake_cluster.answer(f"{REMOTE}/web", deployment(paused=True))

    response = client.post(f"{DEPLOYMENTS}/web:restart", headers=headers_for("editor"))

    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"
    assert "resume" in response.json()["message"]
    assert fake_cluster.writes() == []


def test_restarting_a_missing_deployment_answers_not_found(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    response = client.post(f"{DEPLOYMENTS}/ghost:restart", headers=headers_for("editor"))

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert fake_cluster.writes() == []


@pytest.mark.parametrize(
    "path",
    [
        f"{DEPLOYMENTS}/web:restart:scale",
        f"{DEPLOYMENTS}/web:scale:scale",
        f"{DEPLOYMENTS}/a:b:restart",
    ],
)
def test_a_name_with_a_colon_is_refused_not_split(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, path: str
) -> None:
    response = client.post(path, json={"replicas": 1}, headers=headers_for("editor"))

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == ["path.name"]
    assert fake_cluster.requests == []


def test_reading_an_action_path_is_not_a_read_of_a_deployment(
    client: TestClient, fake_cluster: FakeKubernetes, auth_headers: dict[str, str]
) -> None:
    response = client.get(f"{DEPLOYMENTS}/web:scale", headers=auth_headers)

    assert response.status_code == 422
    assert fake_cluster.requests == []


def test_an_unknown_action_is_not_a_route(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers
) -> None:
    response = client.post(f"{DEPLOYMENTS}/web:delete", headers=headers_for("editor"))

    assert response.status_code == 405
    assert fake_cluster.requests == []


@pytest.mark.parametrize("action", ["scale", "restart"])
def test_a_viewer_may_not_scale_or_restart(
    client: TestClient, fake_cluster: FakeKubernetes, headers_for: Headers, action: str
) -> None:
    response = client.post(
        f"{DEPLOYMENTS}/web:{action}", json={"replicas": 1}, headers=headers_for("viewer")
    )

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert fake_cluster.requests == []


def test_the_audit_line_names_the_deployment_and_the_action(
    client: TestClient,
    fake_cluster: FakeKubernetes,
    headers_for: Headers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_cluster.answer(f"{REMOTE}/web/scale", scale(1), method="PATCH")

    with caplog.at_level("INFO", logger="mayyam"):
        client.post(f"{DEPLOYMENTS}/web:scale", json={"replicas": 1}, headers=headers_for("admin"))

    [audit] = [r for r in caplog.records if r.name == "mayyam.audit"]
    assert "namespace=apps object=deployments/web:scale status=200" in audit.getMessage()
