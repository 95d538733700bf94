"""ConfigMaps: reads, create-or-replace with its semantics, conflicts, deletes."""

import pytest
from fake_kubernetes import FakeKubernetes
from fastapi.testclient import TestClient

from mayyam.api.writes import MAX_ATTEMPTS

API = "/api/kubernetes/clusters/fake/namespaces/apps/configmaps"
REMOTE = "/api/v1/namespaces/apps/configmaps"


def config_map(name: str = "web", **fields) -> dict:
    """A ConfigMap as the API server stores it, with metadata others wrote."""
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "apps",
            "resourceVersion": "7",
            "labels": {"app": "web"},
            "annotations": {"owner": "team-a"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
            "finalizers": ["example.com/keep"],
            "managedFields": [{"manager": "kubectl", "operation": "Update"}],
        },
        "data": {"mode": "fast"},
        "binaryData": {"logo": "iVBORw=="},
    }
    obj.update(fields)
    return obj


@pytest.fixture
def stored(fake_cluster: FakeKubernetes) -> dict:
    """The ConfigMap ``web`` in the fake cluster's store."""
    obj = config_map()
    fake_cluster.objects[f"{REMOTE}/web"] = obj
    return obj


def test_config_maps_are_listed_with_their_kind_and_without_managed_fields(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    items = [config_map("a"), config_map("b")]
    for item in items:
        del item["apiVersion"], item["kind"]
    fake_cluster.answer(REMOTE, {"kind": "ConfigMapList", "metadata": {}, "items": items})

    response = client.get(API, headers=auth_headers)

    assert response.status_code == 200, response.text
    assert [(c["kind"], c["metadata"]["name"]) for c in response.json()] == [
        ("ConfigMap", "a"),
        ("ConfigMap", "b"),
    ]
    assert all("managedFields" not in c["metadata"] for c in response.json())


@pytest.mark.usefixtures("stored")
def test_one_config_map_is_read_whole_but_for_managed_fields(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    response = client.get(f"{API}/web", headers=auth_headers)

    assert response.status_code == 200
    expected = config_map()
    del expected["metadata"]["managedFields"]
    assert response.json() == expected


def test_a_missing_config_map_is_not_found_not_a_missing_cluster(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    response = client.get(f"{API}/ghost", headers=auth_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"


def test_a_put_creates_a_missing_config_map(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"data": {"mode": "slow"}, "labels": {"app": "api"}, "annotations": {"n": "1"}}

    response = client.put(f"{API}/api", json=body, headers=editor_headers)

    assert response.status_code == 201, response.text
    created = fake_cluster.objects[f"{REMOTE}/api"]
    assert created["metadata"]["name"] == "api"
    assert created["metadata"]["labels"] == {"app": "api"}
    assert created["data"] == {"mode": "slow"}
    assert "binaryData" not in created
    assert response.json() == created


@pytest.mark.usefixtures("stored")
def test_a_put_replaces_what_it_gives_and_keeps_the_rest(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    response = client.put(f"{API}/web", json={"data": {"mode": "slow"}}, headers=editor_headers)

    assert response.status_code == 200, response.text
    written = fake_cluster.objects[f"{REMOTE}/web"]
    assert written["data"] == {"mode": "slow"}
    assert written["binaryData"] == {"logo": "iVBORw=="}
    assert written["metadata"]["labels"] == {"app": "web"}
    assert written["metadata"]["annotations"] == {"owner": "team-a"}
    assert written["metadata"]["ownerReferences"][0]["name"] == "p"
    assert written["metadata"]["finalizers"] == ["example.com/keep"]
    # The API server keeps its managedFields when a write carries none.
    assert "managedFields" not in written["metadata"]
    assert response.json()["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]


@pytest.mark.usefixtures("stored")
def test_a_put_with_empty_parts_clears_them(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"binaryData": {}, "labels": {}, "annotations": {"new": "yes"}}

    assert client.put(f"{API}/web", json=body, headers=editor_headers).status_code == 200

    written = fake_cluster.objects[f"{REMOTE}/web"]
    assert written["binaryData"] == {}
    assert written["metadata"]["labels"] == {}
    assert written["metadata"]["annotations"] == {"new": "yes"}
    assert written["data"] == {"mode": "fast"}


@pytest.mark.usefixtures("stored")
def test_a_put_at_the_current_version_replaces(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"data": {"mode": "slow"}, "resourceVersion": "7"}

    assert client.put(f"{API}/web", json=body, headers=editor_headers).status_code == 200
    assert fake_cluster.objects[f"{REMOTE}/web"]["data"] == {"mode": "slow"}


@pytest.mark.usefixtures("stored")
def test_a_put_at_a_stale_version_conflicts_and_changes_nothing(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"data": {"mode": "slow"}, "resourceVersion": "6"}

    response = client.put(f"{API}/web", json=body, headers=editor_headers)

    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"
    assert response.json()["reason"] == "Conflict"
    assert fake_cluster.objects[f"{REMOTE}/web"]["data"] == {"mode": "fast"}
    assert [write.method for write in fake_cluster.writes()] == ["PUT"]


def test_a_put_with_a_version_of_a_missing_config_map_is_not_found_and_creates_nothing(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"data": {"mode": "slow"}, "resourceVersion": "6"}

    response = client.put(f"{API}/ghost", json=body, headers=editor_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert fake_cluster.writes() == []


@pytest.mark.usefixtures("stored")
def test_a_put_without_a_version_retries_when_another_writer_got_in_between(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.fail_once("PUT", f"{REMOTE}/web", 409, "Conflict")

    response = client.put(f"{API}/web", json={"data": {"mode": "slow"}}, headers=editor_headers)

    assert response.status_code == 200, response.text
    assert [write.method for write in fake_cluster.writes()] == ["PUT", "PUT"]
    assert fake_cluster.objects[f"{REMOTE}/web"]["data"] == {"mode": "slow"}


@pytest.mark.usefixtures("stored")
def test_a_put_that_loses_a_race_to_create_replaces_instead(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    # The first read misses the ConfigMap that another writer then creates.
    fake_cluster.fail_once("GET", f"{REMOTE}/web", 404, "NotFound")

    response = client.put(f"{API}/web", json={"data": {"mode": "slow"}}, headers=editor_headers)

    assert response.status_code == 200, response.text
    assert [write.method for write in fake_cluster.writes()] == ["POST", "PUT"]
    written = fake_cluster.objects[f"{REMOTE}/web"]
    assert written["metadata"]["labels"] == {"app": "web"}
    assert written["data"] == {"mode": "slow"}


@pytest.mark.usefixtures("stored")
def test_a_put_gives_up_when_conflicts_go_on(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    for _ in range(MAX_ATTEMPTS):
        fake_cluster.fail_once("PUT", f"{REMOTE}/web", 409, "Conflict")

    response = client.put(f"{API}/web", json={"data": {"mode": "slow"}}, headers=editor_headers)

    assert response.status_code == 409
    assert len(fake_cluster.writes()) == MAX_ATTEMPTS
    assert fake_cluster.objects[f"{REMOTE}/web"]["data"] == {"mode": "fast"}


def test_a_put_into_a_missing_namespace_is_not_found_at_once(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.fail_once("POST", REMOTE, 404, "NotFound")

    response = client.put(f"{API}/web", json={"data": {}}, headers=editor_headers)

    assert response.status_code == 404
    assert [write.method for write in fake_cluster.writes()] == ["POST"]


@pytest.mark.usefixtures("stored")
def test_a_delete_answers_with_the_name(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    response = client.delete(f"{API}/web", headers=editor_headers)

    assert response.status_code == 200
    assert response.json() == {"status": "deleted", "name": "web"}
    assert f"{REMOTE}/web" not in fake_cluster.objects


def test_deleting_a_missing_config_map_is_not_found(
    client: TestClient, editor_headers: dict[str, str]
) -> None:
    response = client.delete(f"{API}/ghost", headers=editor_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_viewer_may_not_write(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes, method: str
) -> None:
    response = client.request(method, f"{API}/web", json={"data": {}}, headers=auth_headers)

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert fake_cluster.requests == []
