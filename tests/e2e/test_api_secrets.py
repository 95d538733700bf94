"""Secrets through the API, against the real clusters it serves: no value ever comes back."""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.conftest import ServedNamespace
from tests.e2e.helpers import b64

MARKER = "**REDACTED**"


@pytest.fixture
def password() -> str:
    """A value no other text of a response could hold by chance."""
    return f"pw-{secrets.token_hex(12)}"


def assert_no_value(text: str, *values: str) -> None:
    for value in values:
        assert value not in text
        assert b64(value) not in text


def test_a_secret_is_created_replaced_read_listed_and_deleted_without_showing_a_value(
    each: ServedNamespace, password: str
) -> None:
    other = f"other-{secrets.token_hex(12)}"

    with each.api("editor") as api:
        created = api.put(each.path("secrets", "db"), json={"data": {"password": password}})
        replaced = api.put(
            each.path("secrets", "db"),
            json={"data": {"password": other, "user": "admin-user"}, "labels": {"app": "db"}},
        )
        read = api.get(each.path("secrets", "db"))
        listed = api.get(each.path("secrets"))
        stored = each.get("secret", "db")
        deleted = api.delete(each.path("secrets", "db"))
        after = api.get(each.path("secrets", "db"))

    assert created.status_code == 201, created.text
    assert replaced.status_code == 200, replaced.text
    assert stored["data"] == {"password": b64(other), "user": b64("admin-user")}
    assert read.json()["data"] == {"password": MARKER, "user": MARKER}
    assert read.json()["metadata"]["labels"] == {"app": "db"}
    [listed_db] = [s for s in listed.json() if s["metadata"]["name"] == "db"]
    assert listed_db["data"] == {"password": MARKER, "user": MARKER}
    for response in (created, replaced, read, listed):
        assert_no_value(response.text, password, other, "admin-user")
    assert deleted.json() == {"status": "deleted", "name": "db"}
    assert (after.status_code, after.json()["error"]) == (404, "NOT_FOUND")
    assert each.get("secret", "db") is None


def test_a_secret_applied_with_kubectl_shows_neither_its_values_nor_the_applied_manifest(
    ns: ServedNamespace, password: str
) -> None:
    ns.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "applied", "annotations": {"team": "storage"}},
            "stringData": {"password": password},
        }
    )
    annotations = ns.get("secret", "applied")["metadata"]["annotations"]
    assert password in annotations["kubectl.kubernetes.io/last-applied-configuration"]

    with ns.api("viewer") as api:
        read = api.get(ns.path("secrets", "applied"))
        listed = api.get(ns.path("secrets"))

    assert read.json()["metadata"]["annotations"] == {"team": "storage"}
    assert read.json()["data"] == {"password": MARKER}
    assert "last-applied-configuration" not in read.text + listed.text
    assert_no_value(read.text + listed.text, password)


def test_binary_values_round_trip_byte_for_byte(ns: ServedNamespace) -> None:
    blob = bytes(range(256))

    with ns.api("editor") as api:
        created = api.put(ns.path("secrets", "bin"), json={"binaryData": {"blob": b64(blob)}})
        relabelled = api.put(ns.path("secrets", "bin"), json={"labels": {"kind": "binary"}})

    assert created.status_code == 201, created.text
    assert relabelled.status_code == 200, relabelled.text
    stored = ns.get("secret", "bin")
    assert stored["data"] == {"blob": b64(blob)}
    assert stored["type"] == "Opaque"
    assert b64(blob) not in created.text + relabelled.text


def test_changing_the_values_of_an_immutable_secret_is_refused_and_changes_nothing(
    ns: ServedNamespace, password: str
) -> None:
    with ns.api("editor") as api:
        api.put(ns.path("secrets", "frozen"), json={"data": {"k": password}, "immutable": True})
        changed = api.put(ns.path("secrets", "frozen"), json={"data": {"k": "something-else"}})
        relabelled = api.put(ns.path("secrets", "frozen"), json={"labels": {"still": "ok"}})

    assert changed.status_code == 422, changed.text
    assert (changed.json()["error"], changed.json()["reason"]) == ("VALIDATION_ERROR", "Invalid")
    assert_no_value(changed.text, password, "something-else")
    # Metadata of an immutable Secret may still change.
    assert relabelled.status_code == 200, relabelled.text
    stored = ns.get("secret", "frozen")
    assert stored["data"] == {"k": b64(password)}
    assert stored["immutable"] is True


def test_a_secret_of_an_invalid_type_is_refused_and_nothing_is_created(
    ns: ServedNamespace,
) -> None:
    body = {"type": "kubernetes.io/tls", "data": {"tls.crt": "not a certificate"}}

    with ns.api("editor") as api:
        response = api.put(ns.path("secrets", "tls"), json=body)

    assert response.status_code == 422, response.text
    assert response.json()["reason"] == "Invalid"
    assert "tls.key" in response.json()["message"]
    assert ns.get("secret", "tls") is None


def test_the_type_of_a_secret_cannot_change(ns: ServedNamespace, password: str) -> None:
    with ns.api("editor") as api:
        api.put(ns.path("secrets", "auth"), json={"data": {"password": password}})
        changed = api.put(
            ns.path("secrets", "auth"),
            json={"type": "kubernetes.io/basic-auth", "data": {"password": "x"}},
        )

    assert changed.status_code == 422, changed.text
    stored = ns.get("secret", "auth")
    assert (stored["type"], stored["data"]) == ("Opaque", {"password": b64(password)})


def test_a_stale_resource_version_conflicts_and_leaves_the_secret_unchanged(
    ns: ServedNamespace, password: str
) -> None:
    with ns.api("editor") as api:
        first = api.put(ns.path("secrets", "db"), json={"data": {"password": password}}).json()
        version = first["metadata"]["resourceVersion"]
        api.put(ns.path("secrets", "db"), json={"labels": {"v": "2"}, "resourceVersion": version})
        stale = api.put(
            ns.path("secrets", "db"), json={"data": {"password": "x"}, "resourceVersion": version}
        )

    assert stale.status_code == 409, stale.text
    assert stale.json()["reason"] == "Conflict"
    assert ns.get("secret", "db")["data"] == {"password": b64(password)}


@pytest.mark.parametrize(
    ("role", "write_status"), [("viewer", 403), ("editor", 201), ("admin", 201)]
)
def test_every_role_reads_redacted_and_only_editors_and_admins_write(
    ns: ServedNamespace, password: str, role: str, write_status: int
) -> None:
    ns.kubectl("create", "secret", "generic", "old", f"--from-literal=password={password}")

    with ns.api(role) as api:
        listed = api.get(ns.path("secrets"))
        written = api.put(ns.path("secrets", "new"), json={"data": {"k": "v"}})
        deleted = api.delete(ns.path("secrets", "old"))

    assert listed.status_code == 200
    assert_no_value(listed.text, password)
    assert written.status_code == write_status, written.text
    assert deleted.status_code == (403 if role == "viewer" else 200)
    assert (ns.get("secret", "new") is None) == (role == "viewer")
    assert (ns.get("secret", "old") is None) == (role != "viewer")


def test_a_token_whose_clusters_exclude_the_cluster_is_forbidden(ns: ServedNamespace) -> None:
    with ns.api("admin", clusters=["local"]) as api:
        listed = api.get(ns.path("secrets"))
        written = api.put(ns.path("secrets", "db"), json={"data": {"k": "v"}})

    assert (listed.status_code, written.status_code) == (403, 403)
    assert written.json()["error"] == "FORBIDDEN"
    assert ns.get("secret", "db") is None


def test_a_missing_secret_and_an_unknown_cluster_are_told_apart(ns: ServedNamespace) -> None:
    with ns.api("viewer") as api:
        missing = api.get(ns.path("secrets", "ghost"))
        unknown = api.get(f"/clusters/nowhere/namespaces/{ns.name}/secrets/ghost")

    assert (missing.status_code, missing.json()["error"]) == (404, "NOT_FOUND")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "CLUSTER_NOT_FOUND")


def test_the_api_log_holds_no_value(served, ns: ServedNamespace, password: str) -> None:
    with ns.api("editor") as api:
        api.put(ns.path("secrets", "logged"), json={"data": {"password": password}})
        api.put(ns.path("secrets", "logged"), json={"data": {"bad key": password}})
        api.get(ns.path("secrets", "logged"))

    log = (served.product.logs / "api.log").read_text()
    assert f"namespace={ns.name} object=secrets/logged" in log
    assert_no_value(log, password)
