"""Namespaces through the API, on real clusters: create, read, delete, refuse."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from mayyamdev.clusters import Cluster
from tests.e2e.conftest import ServedClusters
from tests.e2e.helpers import wait_for

LABELS = {"team": "web", "example.com/tier": "Backend_1", "empty": ""}


def namespace_or_none(cluster: Cluster, name: str) -> dict | None:
    """The namespace as kubectl sees it, or None when it does not exist."""
    found = cluster.kubectl("get", "namespace", name, "--ignore-not-found", "-o", "json")
    return json.loads(found) if found.strip() else None


def namespace_names(cluster: Cluster) -> set[str]:
    """The namespaces of a cluster that are not being deleted.

    Namespaces that earlier tests deleted may vanish at any moment; they are
    left out, so that only a change made by the test itself is seen.
    """
    listing = cluster.kubectl_json("get", "namespaces")
    return {
        item["metadata"]["name"]
        for item in listing["items"]
        if "deletionTimestamp" not in item["metadata"]
    }


@pytest.fixture
def new_name(management: Cluster, workload: Cluster) -> Iterator[Callable[[], str]]:
    """Names for namespaces a test creates; whatever exists is deleted afterwards."""
    names: list[str] = []

    def make() -> str:
        names.append(f"e2e-ns-{secrets.token_hex(4)}")
        return names[-1]

    yield make
    for name in names:
        for cluster in (management, workload):
            cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


@pytest.fixture(scope="module")
def viewer(served: ServedClusters) -> Iterator[httpx.Client]:
    with served.client("viewer") as client:
        yield client


@pytest.fixture(scope="module")
def editor(served: ServedClusters) -> Iterator[httpx.Client]:
    with served.client("editor") as client:
        yield client


def test_a_namespace_is_created_with_labels_and_read_back_with_its_phase(
    served: ServedClusters,
    editor: httpx.Client,
    viewer: httpx.Client,
    workload: Cluster,
    new_name: Callable[[], str],
) -> None:
    name = new_name()

    created = editor.post("/clusters/remote/namespaces", json={"name": name, "labels": LABELS})
    one = viewer.get(f"/clusters/remote/namespaces/{name}")
    listed = viewer.get("/clusters/remote/namespaces")

    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
    assert created.json()["phase"] == "Active"
    assert LABELS.items() <= created.json()["labels"].items()
    seen = namespace_or_none(workload, name)
    assert seen is not None and LABELS.items() <= seen["metadata"]["labels"].items()
    assert one.status_code == 200, one.text
    assert (one.json()["phase"], one.json()["uid"]) == ("Active", seen["metadata"]["uid"])
    assert {"name": name, "phase": "Active"}.items() <= next(
        n for n in listed.json() if n["name"] == name
    ).items()
    audit = (served.product.logs / "api.log").read_text()
    assert f"object=namespaces/{name} status=201" in audit


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "Upper-Case"}, "body.name", id="upper-case-name"),
        pytest.param({"name": "x" * 64}, "body.name", id="long-name"),
        pytest.param({"name": "dots.in.name"}, "body.name", id="dotted-name"),
        pytest.param({"labels": {"-team": "web"}}, "body.labels.-team.[key]", id="key"),
        pytest.param({"labels": {"a/b/c": "web"}}, "body.labels.a/b/c.[key]", id="two-slashes"),
        pytest.param(
            {"labels": {"Example.com/team": "web"}},
            "body.labels.Example.com/team.[key]",
            id="upper-case-prefix",
        ),
        pytest.param({"labels": {"team": "w" * 64}}, "body.labels.team", id="long-value"),
        pytest.param({"labels": {"team": "web team"}}, "body.labels.team", id="space-in-value"),
    ],
)
def test_an_invalid_namespace_is_refused_and_nothing_is_created(
    editor: httpx.Client, workload: Cluster, new_name: Callable[[], str], body: dict, field: str
) -> None:
    before = namespace_names(workload)

    response = editor.post("/clusters/remote/namespaces", json={"name": new_name(), **body})

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert [d["field"] for d in response.json()["details"]] == [field]
    assert namespace_names(workload) == before


@pytest.mark.parametrize("existing", ["mine", "default"])
def test_creating_an_existing_namespace_answers_conflict(
    editor: httpx.Client, workload: Cluster, new_name: Callable[[], str], existing: str
) -> None:
    name = new_name() if existing == "mine" else existing
    if existing == "mine":
        workload.kubectl("create", "namespace", name)

    response = editor.post("/clusters/remote/namespaces", json={"name": name, "labels": LABELS})

    assert response.status_code == 409, response.text
    assert response.json()["error"] == "CONFLICT"
    assert response.json()["reason"] == "AlreadyExists"
    assert "team" not in namespace_or_none(workload, name)["metadata"].get("labels", {})


def test_a_deleted_namespace_goes_away(
    editor: httpx.Client, viewer: httpx.Client, workload: Cluster, new_name: Callable[[], str]
) -> None:
    name = new_name()
    workload.kubectl("create", "namespace", name)
    workload.kubectl("create", "configmap", "settings", "-n", name, "--from-literal=a=b")

    response = editor.delete(f"/clusters/remote/namespaces/{name}")
    meanwhile = viewer.get(f"/clusters/remote/namespaces/{name}")

    assert response.status_code == 202, response.text
    assert response.json() == {"status": "deleted", "name": name}
    if meanwhile.status_code == 200:
        assert meanwhile.json()["phase"] == "Terminating"
        assert meanwhile.json()["deletionTimestamp"]
    else:
        assert meanwhile.status_code == 404, meanwhile.text
    wait_for(lambda: namespace_or_none(workload, name) is None, 60, f"namespace {name} to go")
    gone = viewer.get(f"/clusters/remote/namespaces/{name}")
    assert gone.status_code == 404
    assert gone.json()["error"] == "NOT_FOUND"


def test_deleting_a_missing_namespace_answers_not_found(
    editor: httpx.Client, new_name: Callable[[], str]
) -> None:
    response = editor.delete(f"/clusters/remote/namespaces/{new_name()}")

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"


@pytest.mark.parametrize(
    ("cluster_id", "name"),
    [
        ("remote", "default"),
        ("remote", "kube-system"),
        ("remote", "kube-public"),
        ("local", "kube-node-lease"),
        ("local", "mayyam's own"),
        ("remote", "mayyam's own"),
    ],
)
def test_a_protected_namespace_is_refused_and_kept(
    served: ServedClusters,
    management: Cluster,
    workload: Cluster,
    cluster_id: str,
    name: str,
) -> None:
    if name == "mayyam's own":
        name = served.product.namespace
    cluster = management if cluster_id == "local" else workload
    before = namespace_or_none(cluster, name)

    with served.client("admin") as admin:
        response = admin.delete(f"/clusters/{cluster_id}/namespaces/{name}")

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "FORBIDDEN"
    assert "protected" in response.json()["message"]
    after = namespace_or_none(cluster, name)
    if before is not None:
        assert after is not None and after["status"]["phase"] == "Active"
        assert "deletionTimestamp" not in after["metadata"]


def test_a_viewer_may_not_create_or_delete_namespaces(
    viewer: httpx.Client, workload: Cluster, new_name: Callable[[], str]
) -> None:
    existing = new_name()
    workload.kubectl("create", "namespace", existing)
    wanted = new_name()

    created = viewer.post("/clusters/remote/namespaces", json={"name": wanted})
    deleted = viewer.delete(f"/clusters/remote/namespaces/{existing}")

    assert (created.status_code, deleted.status_code) == (403, 403)
    assert created.json()["error"] == deleted.json()["error"] == "FORBIDDEN"
    assert namespace_or_none(workload, wanted) is None
    assert "deletionTimestamp" not in namespace_or_none(workload, existing)["metadata"]


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_may_create_and_delete_namespaces(
    served: ServedClusters, workload: Cluster, new_name: Callable[[], str], role: str
) -> None:
    name = new_name()

    with served.client(role) as client:
        created = client.post("/clusters/remote/namespaces", json={"name": name})
        deleted = client.delete(f"/clusters/remote/namespaces/{name}")

    assert created.status_code == 201, created.text
    assert deleted.status_code == 202, deleted.text
    seen = namespace_or_none(workload, name)
    assert seen is None or "deletionTimestamp" in seen["metadata"]


def test_a_token_limited_to_other_clusters_may_not_change_namespaces(
    served: ServedClusters, workload: Cluster, new_name: Callable[[], str]
) -> None:
    existing, wanted = new_name(), new_name()
    workload.kubectl("create", "namespace", existing)

    with served.client("admin", clusters=["local"]) as elsewhere:
        created = elsewhere.post("/clusters/remote/namespaces", json={"name": wanted})
        deleted = elsewhere.delete(f"/clusters/remote/namespaces/{existing}")

    assert (created.status_code, deleted.status_code) == (403, 403)
    assert namespace_or_none(workload, wanted) is None
    assert "deletionTimestamp" not in namespace_or_none(workload, existing)["metadata"]
