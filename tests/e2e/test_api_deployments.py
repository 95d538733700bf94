"""Deployments through the API, on real clusters: read, scale, restart.

Restarts that must roll out Pods run on ``local``, whose node runs them;
the rest runs on ``remote``, where a Deployment gets no Pods, which scaling
and the refusals do not need.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mayyamdev.clusters import Cluster
from tests.e2e.conftest import ServedClusters, ServedNamespace

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def deployment_manifest(
    cluster: Cluster, name: str, *, replicas: int = 1, paused: bool = False
) -> dict:
    """A Deployment of busybox sleeping, whose template carries an annotation of its own."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "paused": paused,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": {"example.com/team": "web"}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {
                            "name": "main",
                            "image": cluster.workload_image,
                            "imagePullPolicy": cluster.image_pull_policy,
                            "command": ["sleep", "3600"],
                        }
                    ],
                },
            },
        },
    }


def create_deployment(cluster: Cluster, namespace: str, **options) -> str:
    name = f"web-{secrets.token_hex(3)}"
    manifest = deployment_manifest(cluster, name, **options)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))
    return name


def get_deployment(cluster: Cluster, namespace: str, name: str) -> dict:
    return cluster.kubectl_json("get", "-n", namespace, f"deployment/{name}")


def replica_sets(cluster: Cluster, namespace: str, name: str) -> dict[str, dict]:
    listing = cluster.kubectl_json("get", "-n", namespace, "replicasets", "-l", f"app={name}")
    return {rs["metadata"]["name"]: rs for rs in listing["items"]}


@pytest.fixture(scope="module")
def viewer(served: ServedClusters) -> Iterator[httpx.Client]:
    with served.client("viewer") as client:
        yield client


@pytest.fixture(scope="module")
def editor(served: ServedClusters) -> Iterator[httpx.Client]:
    with served.client("editor") as client:
        yield client


def test_deployments_are_listed_and_read_as_kubernetes_objects(
    viewer: httpx.Client, ns: ServedNamespace
) -> None:
    name = create_deployment(ns.cluster, ns.name, replicas=2)
    base = ns.path("deployments")

    listed = viewer.get(base)
    one = viewer.get(f"{base}/{name}")

    assert listed.status_code == 200, listed.text
    [item] = [d for d in listed.json() if d["metadata"]["name"] == name]
    assert (item["apiVersion"], item["kind"]) == ("apps/v1", "Deployment")
    assert "managedFields" not in item["metadata"]
    assert one.status_code == 200, one.text
    assert (
        one.json()["metadata"]["uid"]
        == get_deployment(ns.cluster, ns.name, name)["metadata"]["uid"]
    )
    assert one.json()["spec"]["replicas"] == 2
    assert "managedFields" not in one.json()["metadata"]


def test_a_deployment_is_scaled_up_and_down_to_zero(
    editor: httpx.Client, ns: ServedNamespace
) -> None:
    name = create_deployment(ns.cluster, ns.name)
    url = f"{ns.path('deployments', name)}:scale"

    up = editor.post(url, json={"replicas": 3})
    replicas_after_up = get_deployment(ns.cluster, ns.name, name)["spec"]["replicas"]
    down = editor.post(url, json={"replicas": 0})
    replicas_after_down = get_deployment(ns.cluster, ns.name, name)["spec"]["replicas"]

    assert up.status_code == 200, up.text
    assert up.json() == {"status": "scaled", "replicas": 3}
    assert replicas_after_up == 3
    assert down.status_code == 200, down.text
    assert down.json() == {"status": "scaled", "replicas": 0}
    assert replicas_after_down == 0


@pytest.mark.parametrize("replicas", ["3", 1.5, True, -1, 2**31])
def test_an_invalid_replica_count_is_refused_and_changes_nothing(
    editor: httpx.Client, ns: ServedNamespace, replicas: object
) -> None:
    name = create_deployment(ns.cluster, ns.name)

    response = editor.post(
        f"{ns.path('deployments', name)}:scale",
        json={"replicas": replicas},
    )

    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["details"]] == ["body.replicas"]
    assert get_deployment(ns.cluster, ns.name, name)["spec"]["replicas"] == 1


def test_a_restart_rolls_out_a_new_replica_set_and_keeps_other_annotations(
    editor: httpx.Client, namespace_on: Callable[[str], ServedNamespace]
) -> None:
    # On local, whose node runs the Pods a rollout needs.
    local = namespace_on("local")
    management, local_namespace = local.cluster, local.name
    name = create_deployment(management, local_namespace)
    rollout = ("rollout", "status", "-n", local_namespace, f"deployment/{name}", "--timeout=120s")
    management.kubectl(*rollout, timeout=150)
    before = replica_sets(management, local_namespace, name)
    started = datetime.now(UTC).replace(microsecond=0)

    response = editor.post(f"{local.path('deployments', name)}:restart")
    management.kubectl(*rollout, timeout=150)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "restarted"}
    annotations = get_deployment(management, local_namespace, name)["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert annotations["example.com/team"] == "web"
    restarted_at = datetime.fromisoformat(annotations[RESTARTED_AT])
    assert started <= restarted_at <= datetime.now(UTC) + timedelta(seconds=1)

    after = replica_sets(management, local_namespace, name)
    [new] = [rs for rs_name, rs in after.items() if rs_name not in before]
    assert (
        new["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
        == (annotations[RESTARTED_AT])
    )
    assert new["status"].get("readyReplicas") == 1
    assert all(after[rs_name]["spec"]["replicas"] == 0 for rs_name in before)


def test_a_paused_deployment_is_not_restarted_and_not_changed(
    editor: httpx.Client, ns: ServedNamespace
) -> None:
    name = create_deployment(ns.cluster, ns.name, paused=True)
    before = get_deployment(ns.cluster, ns.name, name)

    response = editor.post(f"{ns.path('deployments', name)}:restart")

    assert response.status_code == 409, response.text
    assert response.json()["error"] == "CONFLICT"
    assert "paused" in response.json()["message"] and "resume" in response.json()["message"]
    # The controller may still write the status; the spec must stay as it was.
    after = get_deployment(ns.cluster, ns.name, name)
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"] == before["spec"]
    assert RESTARTED_AT not in after["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("POST", ":scale", {"replicas": 1}), ("POST", ":restart", None)],
    ids=["read", "scale", "restart"],
)
def test_a_missing_deployment_answers_not_found(
    editor: httpx.Client, ns: ServedNamespace, method: str, suffix: str, body: dict | None
) -> None:
    response = editor.request(
        method,
        f"{ns.path('deployments', 'ghost')}{suffix}",
        json=body,
    )

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"
    assert "ghost" in response.json()["message"]


@pytest.mark.parametrize("action", [":scale", ":restart"])
def test_a_viewer_may_read_but_not_scale_or_restart(
    viewer: httpx.Client, ns: ServedNamespace, action: str
) -> None:
    name = create_deployment(ns.cluster, ns.name)
    before = get_deployment(ns.cluster, ns.name, name)
    url = ns.path("deployments", name)

    read = viewer.get(url)
    changed = viewer.post(f"{url}{action}", json={"replicas": 2} if action == ":scale" else None)

    assert read.status_code == 200, read.text
    assert changed.status_code == 403, changed.text
    assert changed.json()["error"] == "FORBIDDEN"
    after = get_deployment(ns.cluster, ns.name, name)
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"] == before["spec"]


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_may_scale_and_restart(
    served: ServedClusters, ns: ServedNamespace, role: str
) -> None:
    name = create_deployment(ns.cluster, ns.name)
    url = ns.path("deployments", name)

    with served.client(role) as client:
        scaled = client.post(f"{url}:scale", json={"replicas": 2})
        restarted = client.post(f"{url}:restart")

    assert scaled.status_code == 200, scaled.text
    assert restarted.status_code == 200, restarted.text
    template = get_deployment(ns.cluster, ns.name, name)["spec"]["template"]
    assert get_deployment(ns.cluster, ns.name, name)["spec"]["replicas"] == 2
    assert RESTARTED_AT in template["metadata"]["annotations"]


def test_a_token_limited_to_other_clusters_may_not_touch_this_one(
    served: ServedClusters, ns: ServedNamespace
) -> None:
    name = create_deployment(ns.cluster, ns.name)
    url = ns.path("deployments", name)

    with served.client("admin", clusters=["local", "prod-*"]) as elsewhere:
        read = elsewhere.get(url)
        scaled = elsewhere.post(f"{url}:scale", json={"replicas": 2})
    with served.client("editor", clusters=["rem*"]) as matching:
        allowed = matching.post(f"{url}:scale", json={"replicas": 3})

    assert (read.status_code, scaled.status_code) == (403, 403)
    assert scaled.json()["error"] == "FORBIDDEN"
    assert allowed.status_code == 200, allowed.text
    assert get_deployment(ns.cluster, ns.name, name)["spec"]["replicas"] == 3
