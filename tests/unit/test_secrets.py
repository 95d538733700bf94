"""Secrets: redacted reads, plaintext writes encoded by Mayyam, no value ever shown or logged."""

import base64
import json
import logging

import pytest
from fake_kubernetes import FakeKubernetes
from fastapi.testclient import TestClient

from mayyam.api.redaction import LAST_APPLIED_ANNOTATION, REDACTED

API = "/api/kubernetes/clusters/fake/namespaces/apps/secrets"
REMOTE = "/api/v1/namespaces/apps/secrets"
PASSWORD = "hunter2-but-much-longer"
CERTIFICATE = b"\x00\x01binary certificate bytes\xff"


def b64(value: str | bytes) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def assert_no_value(text: str, *values: str) -> None:
    for value in values:
        assert value not in text
        assert b64(value) not in text


def stored_secret(**fields) -> dict:
    """A Secret applied with kubectl, as the API server stores it."""
    applied = {"kind": "Secret", "stringData": {"password": PASSWORD}}
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "apps",
            "resourceVersion": "3",
            "labels": {"app": "db"},
            "annotations": {LAST_APPLIED_ANNOTATION: json.dumps(applied), "team": "storage"},
            "managedFields": [{"manager": "kubectl-client-side-apply"}],
        },
        "type": "Opaque",
        "data": {"password": b64(PASSWORD)},
    }
    obj.update(fields)
    return obj


@pytest.fixture
def stored(fake_cluster: FakeKubernetes) -> dict:
    obj = stored_secret()
    fake_cluster.objects[f"{REMOTE}/db"] = obj
    return obj


def test_a_viewer_lists_secrets_with_keys_but_no_values(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer(REMOTE, {"kind": "SecretList", "items": [stored_secret()]})

    response = client.get(API, headers=auth_headers)

    assert response.status_code == 200, response.text
    [secret] = response.json()
    assert secret["data"] == {"password": REDACTED}
    assert secret["metadata"]["annotations"] == {"team": "storage"}
    assert "managedFields" not in secret["metadata"]
    assert_no_value(response.text, PASSWORD)


@pytest.mark.usefixtures("stored")
def test_one_secret_is_read_redacted(client: TestClient, auth_headers: dict[str, str]) -> None:
    response = client.get(f"{API}/db", headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["data"] == {"password": REDACTED}
    assert response.json()["type"] == "Opaque"
    assert_no_value(response.text, PASSWORD)


def test_a_put_encodes_plaintext_and_keeps_binary_values_as_given(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {
        "data": {"password": PASSWORD},
        "binaryData": {"tls.crt": b64(CERTIFICATE)},
        "type": "example.com/custom",
    }

    response = client.put(f"{API}/db", json=body, headers=editor_headers)

    assert response.status_code == 201, response.text
    written = fake_cluster.objects[f"{REMOTE}/db"]
    assert written["data"] == {"password": b64(PASSWORD), "tls.crt": b64(CERTIFICATE)}
    assert written["type"] == "example.com/custom"
    assert response.json()["data"] == {"password": REDACTED, "tls.crt": REDACTED}
    assert_no_value(response.text, PASSWORD)
    assert b64(CERTIFICATE) not in response.text


@pytest.mark.usefixtures("stored")
def test_a_put_of_metadata_only_keeps_values_and_type(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    response = client.put(f"{API}/db", json={"labels": {"tier": "db"}}, headers=editor_headers)

    assert response.status_code == 200, response.text
    written = fake_cluster.objects[f"{REMOTE}/db"]
    assert written["data"] == {"password": b64(PASSWORD)}
    assert written["type"] == "Opaque"
    assert written["metadata"]["labels"] == {"tier": "db"}


@pytest.mark.usefixtures("stored")
def test_giving_binary_data_alone_replaces_all_values(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    body = {"binaryData": {"key": b64(CERTIFICATE)}, "immutable": True}

    assert client.put(f"{API}/db", json=body, headers=editor_headers).status_code == 200

    written = fake_cluster.objects[f"{REMOTE}/db"]
    assert written["data"] == {"key": b64(CERTIFICATE)}
    assert written["immutable"] is True


@pytest.mark.usefixtures("stored")
def test_a_put_of_annotations_keeps_what_the_view_hid(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    shown = client.get(f"{API}/db", headers=editor_headers).json()["metadata"]["annotations"]

    body = {"annotations": {**shown, "reviewed": "yes"}}
    assert client.put(f"{API}/db", json=body, headers=editor_headers).status_code == 200

    annotations = fake_cluster.objects[f"{REMOTE}/db"]["metadata"]["annotations"]
    assert set(annotations) == {LAST_APPLIED_ANNOTATION, "team", "reviewed"}
    assert PASSWORD in annotations[LAST_APPLIED_ANNOTATION]


@pytest.mark.usefixtures("stored")
def test_a_refusal_of_the_api_server_passes_through_without_values(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    message = f'Secret "db" is invalid: data[password]: Invalid value: "{PASSWORD}"'
    fake_cluster.fail_once("PUT", f"{REMOTE}/db", 422, "Invalid", message)

    response = client.put(
        f"{API}/db", json={"data": {"password": PASSWORD}}, headers=editor_headers
    )

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert response.json()["reason"] == "Invalid"
    assert response.json()["message"].startswith('Secret "db" is invalid: data[password]')
    assert_no_value(response.text, PASSWORD)
    # Refusals are final: nothing is retried.
    assert [write.method for write in fake_cluster.writes()] == ["PUT"]


def test_values_are_never_logged_nor_echoed_in_validation_errors(
    client: TestClient,
    editor_headers: dict[str, str],
    fake_cluster: FakeKubernetes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        created = client.put(
            f"{API}/db", json={"data": {"password": PASSWORD}}, headers=editor_headers
        )
        refused = client.put(
            f"{API}/db",
            json={"data": {"bad key": PASSWORD}, "binaryData": {"x": PASSWORD}},
            headers=editor_headers,
        )

    assert created.status_code == 201
    assert refused.status_code == 422
    assert_no_value(refused.text, PASSWORD)
    assert_no_value(caplog.text, PASSWORD)
    assert "PUT /api/kubernetes/clusters/{cluster_id}/namespaces/{namespace}/secrets/{name}" in (
        caplog.text
    )


@pytest.mark.usefixtures("stored")
def test_a_viewer_reads_but_may_not_write_or_delete(
    client: TestClient, auth_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    assert client.get(f"{API}/db", headers=auth_headers).status_code == 200
    put = client.put(f"{API}/db", json={"data": {}}, headers=auth_headers)
    delete = client.delete(f"{API}/db", headers=auth_headers)

    assert (put.status_code, delete.status_code) == (403, 403)
    assert fake_cluster.writes() == []


@pytest.mark.usefixtures("stored")
def test_a_delete_answers_with_the_name(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes
) -> None:
    response = client.delete(f"{API}/db", headers=editor_headers)

    assert response.json() == {"status": "deleted", "name": "db"}
    assert fake_cluster.objects == {}
    assert client.delete(f"{API}/db", headers=editor_headers).json()["error"] == "NOT_FOUND"


@pytest.mark.parametrize("immutable", ["yes", "true", 1, 0])
def test_only_a_boolean_makes_a_secret_immutable(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes, immutable
) -> None:
    body = {"data": {"password": PASSWORD}, "immutable": immutable}

    response = client.put(f"{API}/db", json=body, headers=editor_headers)

    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.immutable"
    assert f"{REMOTE}/db" not in fake_cluster.objects
