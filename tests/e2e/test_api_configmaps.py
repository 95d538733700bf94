"""ConfigMaps through the API, against the real clusters it serves."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ServedNamespace
from tests.e2e.helpers import b64

MEBIBYTE = 1024 * 1024


def test_a_config_map_is_created_replaced_read_listed_and_deleted(each: ServedNamespace) -> None:
    with each.api("editor") as api:
        created = api.put(each.path("configmaps", "web"), json={"data": {"mode": "fast"}})
        replaced = api.put(
            each.path("configmaps", "web"),
            json={"data": {"mode": "slow"}, "labels": {"app": "web"}},
        )
        read = api.get(each.path("configmaps", "web"))
        listed = api.get(each.path("configmaps"))
        deleted = api.delete(each.path("configmaps", "web"))
        after = api.get(each.path("configmaps", "web"))

    assert created.status_code == 201, created.text
    assert created.json()["data"] == {"mode": "fast"}
    assert replaced.status_code == 200, replaced.text
    assert read.json()["data"] == {"mode": "slow"}
    assert read.json()["metadata"]["labels"] == {"app": "web"}
    assert "managedFields" not in read.json()["metadata"]
    assert "web" in [c["metadata"]["name"] for c in listed.json()]
    assert all(c["kind"] == "ConfigMap" for c in listed.json())
    assert deleted.json() == {"status": "deleted", "name": "web"}
    assert after.status_code == 404 and after.json()["error"] == "NOT_FOUND"
    assert each.get("configmap", "web") is None


def test_what_the_api_writes_is_what_kubectl_reads(ns: ServedNamespace) -> None:
    blob = bytes(range(256))
    body = {"data": {"app.conf": "a = 1\n"}, "binaryData": {"blob": b64(blob)}}

    with ns.api("editor") as api:
        assert api.put(ns.path("configmaps", "conf"), json=body).status_code == 201

    stored = ns.get("configmap", "conf")
    assert stored["data"] == {"app.conf": "a = 1\n"}
    assert stored["binaryData"] == {"blob": b64(blob)}
    managers = ns.cluster.kubectl_json(
        "get", "-n", ns.name, "configmap/conf", "--show-managed-fields"
    )["metadata"]["managedFields"]
    assert [m["manager"] for m in managers] == ["mayyam-api"]


def test_the_list_passes_the_label_selector_on(ns: ServedNamespace) -> None:
    with ns.api("viewer", "editor") as api:
        for name, tier in (("front", "web"), ("back", "db")):
            api.put(ns.path("configmaps", name), json={"labels": {"tier": tier}})
        selected = api.get(ns.path("configmaps"), params={"labelSelector": "tier=db"})
        invalid = api.get(ns.path("configmaps"), params={"labelSelector": "tier in in"})

    assert [c["metadata"]["name"] for c in selected.json()] == ["back"]
    assert invalid.status_code == 400, invalid.text
    assert invalid.json()["error"] == "BAD_REQUEST"


def test_a_stale_resource_version_conflicts_and_leaves_the_config_map_unchanged(
    ns: ServedNamespace,
) -> None:
    with ns.api("editor") as api:
        first = api.put(ns.path("configmaps", "web"), json={"data": {"v": "1"}}).json()
        version = first["metadata"]["resourceVersion"]
        api.put(ns.path("configmaps", "web"), json={"data": {"v": "2"}, "resourceVersion": version})

        stale = api.put(
            ns.path("configmaps", "web"), json={"data": {"v": "3"}, "resourceVersion": version}
        )

    assert stale.status_code == 409, stale.text
    assert stale.json()["error"] == "CONFLICT"
    assert stale.json()["reason"] == "Conflict"
    assert ns.get("configmap", "web")["data"] == {"v": "2"}


def test_a_resource_version_for_a_missing_config_map_is_not_found(ns: ServedNamespace) -> None:
    with ns.api("editor") as api:
        response = api.put(ns.path("configmaps", "ghost"), json={"resourceVersion": "1"})

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert ns.get("configmap", "ghost") is None


def test_a_config_map_over_one_mebibyte_is_refused_and_nothing_is_created(
    ns: ServedNamespace,
) -> None:
    body = {"data": {"big": "x" * MEBIBYTE, "more": "y"}}

    with ns.api("editor") as api:
        response = api.put(ns.path("configmaps", "big"), json=body)

    assert response.status_code == 422
    assert "1048577 bytes" in response.json()["details"][0]["message"]
    assert ns.get("configmap", "big") is None


def test_invalid_keys_and_labels_are_refused_and_nothing_is_created(ns: ServedNamespace) -> None:
    with ns.api("editor") as api:
        bad_key = api.put(ns.path("configmaps", "bad"), json={"data": {"a/b": "v"}})
        bad_label = api.put(ns.path("configmaps", "bad"), json={"labels": {"app": "a b"}})

    assert [d["field"] for d in bad_key.json()["details"]] == ["body.data.a/b.[key]"]
    assert [d["field"] for d in bad_label.json()["details"]] == ["body.labels.app"]
    assert ns.get("configmap", "bad") is None


def test_metadata_written_elsewhere_is_kept_and_parts_given_replace(ns: ServedNamespace) -> None:
    ns.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
    owner = ns.get("configmap", "owner")
    ns.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "web",
                "labels": {"app": "web"},
                "annotations": {"team": "a"},
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "name": "owner",
                        "uid": owner["metadata"]["uid"],
                    }
                ],
            },
            "data": {"mode": "fast"},
            "binaryData": {"logo": b64(b"\x89PNG")},
        }
    )

    with ns.api("editor") as api:
        kept = api.put(ns.path("configmaps", "web"), json={"data": {"mode": "slow"}})
        cleared = api.put(ns.path("configmaps", "web"), json={"labels": {}, "binaryData": {}})

    assert kept.status_code == 200, kept.text
    assert kept.json()["metadata"]["labels"] == {"app": "web"}
    assert kept.json()["binaryData"] == {"logo": b64(b"\x89PNG")}
    assert cleared.status_code == 200, cleared.text
    stored = ns.get("configmap", "web")
    assert stored["data"] == {"mode": "slow"}
    assert "binaryData" not in stored and not stored["metadata"].get("labels")
    assert stored["metadata"]["annotations"]["team"] == "a"
    assert stored["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]


@pytest.mark.parametrize(
    ("role", "write_status"), [("viewer", 403), ("editor", 201), ("admin", 201)]
)
def test_every_role_reads_and_only_editors_and_admins_write(
    ns: ServedNamespace, role: str, write_status: int
) -> None:
    ns.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}})

    with ns.api(role) as api:
        listed = api.get(ns.path("configmaps"))
        written = api.put(ns.path("configmaps", "new"), json={"data": {"k": "v"}})
        deleted = api.delete(ns.path("configmaps", "old"))

    assert listed.status_code == 200
    assert written.status_code == write_status, written.text
    assert deleted.status_code == (403 if role == "viewer" else 200)
    assert (ns.get("configmap", "new") is None) == (role == "viewer")
    assert (ns.get("configmap", "old") is None) == (role != "viewer")


def test_a_token_whose_clusters_exclude_the_cluster_is_forbidden(ns: ServedNamespace) -> None:
    ns.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}})

    with ns.api("admin", clusters=["local", "prod-*"]) as api:
        read = api.get(ns.path("configmaps", "web"))
        written = api.put(ns.path("configmaps", "web"), json={"data": {"k": "v"}})
    with ns.api("viewer", clusters=["rem*"]) as api:
        allowed = api.get(ns.path("configmaps", "web"))

    assert (read.status_code, written.status_code) == (403, 403)
    assert read.json()["error"] == "FORBIDDEN"
    assert allowed.status_code == 200
    assert "data" not in ns.get("configmap", "web")


def test_a_missing_config_map_and_an_unknown_cluster_are_told_apart(ns: ServedNamespace) -> None:
    with ns.api("viewer") as api:
        missing = api.get(ns.path("configmaps", "ghost"))
        unknown = api.get(f"/clusters/nowhere/namespaces/{ns.name}/configmaps/ghost")

    assert missing.status_code == 404
    assert (missing.json()["error"], missing.json()["reason"]) == ("NOT_FOUND", "NotFound")
    assert "ghost" in missing.json()["message"]
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "CLUSTER_NOT_FOUND"
