"""A cluster registered with ``kubectl apply`` becomes Ready and is served by the API."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product, new_jwt_secret
from mayyamdev.registration import (
    create_service_account_token,
    install_crd,
    registration_manifests,
)


@pytest.fixture
def mayyam(management: Cluster, make_namespace, tmp_path: Path) -> Iterator[Product]:
    """The operator and the API, watching a namespace of their own."""
    install_crd(management)
    product = Product(management.kubeconfig, make_namespace(management), tmp_path, new_jwt_secret())
    product.start_operator()
    product.start_api()
    yield product
    product.stop()


def _register(management: Cluster, workload: Cluster, mayyam: Product, name: str) -> None:
    token = create_service_account_token(workload, f"mayyam-{secrets.token_hex(3)}")
    management.apply(
        registration_manifests(name, mayyam.namespace, workload.server, token, workload.ca_cert)
    )
    management.kubectl(
        "wait",
        "-n",
        mayyam.namespace,
        "--for=condition=Ready",
        "--timeout=60s",
        f"mayyamcluster/{name}",
    )


def test_a_cluster_registered_with_a_service_account_token_becomes_ready(
    management, workload, mayyam
) -> None:
    _register(management, workload, mayyam, "workload")

    status = management.kubectl_json("get", "-n", mayyam.namespace, "mayyamcluster/workload")[
        "status"
    ]
    version = json.loads(workload.kubectl("version", "-o", "json"))["serverVersion"]

    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    assert ready["reason"] and ready["lastTransitionTime"]
    assert status["kubernetesVersion"] == version["gitVersion"]


def test_the_api_serves_the_namespaces_of_the_registered_cluster(
    management, workload, mayyam, make_namespace
) -> None:
    only_in_workload = make_namespace(workload)
    _register(management, workload, mayyam, "workload")
    headers = {"Authorization": f"Bearer {mayyam.token('e2e-viewer')}"}
    base = f"{mayyam.api_url}/api/kubernetes/clusters/workload/namespaces"

    listed = httpx.get(base, headers=headers)
    one = httpx.get(f"{base}/{only_in_workload}", headers=headers)

    assert listed.status_code == 200, listed.text
    names = {n["name"] for n in listed.json()}
    assert {only_in_workload, "kube-system", "default"} <= names
    assert one.status_code == 200, one.text
    assert one.json()["name"] == only_in_workload


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + jwt.encode({"sub": "x", "exp": 4102444800}, "another-secret-" * 3),
    ],
    ids=["missing", "malformed", "not-bearer", "wrong-signature"],
)
def test_a_request_without_a_valid_token_gets_401_with_the_error_body(
    mayyam, authorization
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(
        f"{mayyam.api_url}/api/kubernetes/clusters/workload/namespaces", headers=headers
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"] == "UNAUTHORIZED" and body["message"]


def test_an_unknown_cluster_id_gets_404(mayyam) -> None:
    headers = {"Authorization": f"Bearer {mayyam.token('e2e-viewer')}"}

    response = httpx.get(
        f"{mayyam.api_url}/api/kubernetes/clusters/nowhere/namespaces", headers=headers
    )

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "CLUSTER_NOT_FOUND"
    assert "nowhere" in body["message"]
