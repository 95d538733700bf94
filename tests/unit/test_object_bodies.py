"""Bodies of ConfigMaps and Secrets are checked as Kubernetes checks them, before any call."""

import base64

import pytest
from fake_kubernetes import FakeKubernetes
from fastapi.testclient import TestClient

from mayyam.api.validation import MAX_VALUES_BYTES

BASE = "/api/kubernetes/clusters/fake/namespaces/apps"
KINDS = ["configmaps", "secrets"]


def put(client: TestClient, headers: dict[str, str], kind: str, body: dict):
    return client.put(f"{BASE}/{kind}/thing", json=body, headers=headers)


def fields_of(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    return [detail["field"] for detail in response.json()["details"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"bad key": "v"}}, "body.data.bad key.[key]"),
        ({"data": {"..x": "v"}}, "body.data...x.[key]"),
        ({"binaryData": {"blob": "not base64!"}}, "body.binaryData.blob"),
        ({"binaryData": {"blob": "YQ"}}, "body.binaryData.blob"),
        ({"labels": {"-bad": "v"}}, "body.labels.-bad.[key]"),
        ({"labels": {"app": "not a label value"}}, "body.labels.app"),
        ({"annotations": {"a/b/c": "v"}}, "body.annotations.a/b/c.[key]"),
        ({"annotations": {"note": "x" * (256 * 1024)}}, "body.annotations"),
        ({"data": {"a": 1}}, "body.data.a"),
        ({"spec": {}}, "body.spec"),
        ({"resourceVersion": ""}, "body.resourceVersion"),
    ],
)
def test_an_invalid_body_is_refused_naming_the_field_without_calling_the_cluster(
    client: TestClient,
    editor_headers: dict[str, str],
    fake_cluster: FakeKubernetes,
    kind: str,
    body: dict,
    field: str,
) -> None:
    assert fields_of(put(client, editor_headers, kind, body)) == [field]
    assert fake_cluster.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_in_both_data_and_binary_data_is_refused(
    client: TestClient, editor_headers: dict[str, str], kind: str
) -> None:
    response = put(client, editor_headers, kind, {"data": {"k": "v"}, "binaryData": {"k": "dg=="}})

    assert fields_of(response) == ["body"]
    assert response.json()["details"][0]["message"].endswith("in both data and binaryData: k")


@pytest.mark.parametrize("kind", KINDS)
def test_values_over_one_mebibyte_are_refused_before_calling_the_cluster(
    client: TestClient, editor_headers: dict[str, str], fake_cluster: FakeKubernetes, kind: str
) -> None:
    half = MAX_VALUES_BYTES // 2
    body = {
        "data": {"text": "t" * half},
        "binaryData": {"blob": base64.b64encode(b"b" * (half + 1)).decode()},
    }

    response = put(client, editor_headers, kind, body)

    assert fields_of(response) == ["body"]
    assert str(MAX_VALUES_BYTES + 1) in response.json()["details"][0]["message"]
    assert fake_cluster.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_values_of_exactly_one_mebibyte_are_accepted(
    client: TestClient, editor_headers: dict[str, str], kind: str
) -> None:
    body = {"data": {"text": "t" * MAX_VALUES_BYTES}}

    assert put(client, editor_headers, kind, body).status_code == 201


def test_a_secret_of_an_unknown_field_or_empty_type_is_refused(
    client: TestClient, editor_headers: dict[str, str]
) -> None:
    assert fields_of(put(client, editor_headers, "secrets", {"type": ""})) == ["body.type"]
    assert fields_of(put(client, editor_headers, "secrets", {"stringData": {}})) == [
        "body.stringData"
    ]
