"""Per-test isolation on the shared clusters: every test works in namespaces
of its own, removed when it ends; and, for the API's tests, one Mayyam that
serves both clusters for the whole session, with a namespace of its own on
either of them for each test."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product, new_jwt_secret
from mayyamdev.registration import (
    create_service_account_token,
    install_crd,
    registration_manifests,
    workload_rules,
)
from tests.e2e.helpers import FAST_OPERATOR, start_product


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``e2e``, so ``-m "not e2e"`` skips them."""
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def make_namespace() -> Iterator[Callable[[Cluster], str]]:
    """Create a namespace with a unique name in a cluster; delete it afterwards."""
    created: list[tuple[Cluster, str]] = []

    def make(cluster: Cluster) -> str:
        name = f"e2e-{secrets.token_hex(4)}"
        cluster.kubectl("create", "namespace", name)
        created.append((cluster, name))
        return name

    yield make
    for cluster, name in created:
        cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


@pytest.fixture
def product(management: Cluster, make_namespace, tmp_path) -> Iterator[Product]:
    """Mayyam, not yet started, for a namespace of the management cluster."""
    product = start_product(management, make_namespace(management), tmp_path)
    yield product
    product.stop()


@pytest.fixture
def operating(product: Product) -> Product:
    """``product`` with one operator running, quick enough to test."""
    product.start_operator(env=FAST_OPERATOR)
    return product


@dataclass
class ServedClusters:
    """A running operator and API that serve two registered clusters:
    ``local`` (the management cluster itself, whose node runs pods) and
    ``remote`` (the workload cluster)."""

    product: Product

    def token(self, *roles: str, clusters: list[str] | None = None, sub: str = "e2e") -> str:
        claims: dict = {"sub": sub, "roles": list(roles), "exp": int(time.time()) + 3600}
        if clusters is not None:
            claims["clusters"] = clusters
        return jwt.encode(claims, self.product.jwt_secret, algorithm="HS256")

    def client(self, *roles: str, clusters: list[str] | None = None) -> httpx.Client:
        """An HTTP client of the API whose token has ``roles``."""
        return httpx.Client(
            base_url=f"{self.product.api_url}/api/kubernetes",
            headers={"Authorization": f"Bearer {self.token(*roles, clusters=clusters)}"},
            timeout=60,
        )


@pytest.fixture(scope="session")
def served(
    management: Cluster, workload: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedClusters]:
    """Mayyam serving both clusters, started once for all the API's tests."""
    namespace = f"e2e-api-{secrets.token_hex(4)}"
    management.kubectl("create", "namespace", namespace)
    install_crd(management)
    logs = tmp_path_factory.mktemp("served")
    product = Product(management.kubeconfig, namespace, logs, new_jwt_secret())
    try:
        product.start_operator(env=FAST_OPERATOR)
        for name, cluster in (("local", management), ("remote", workload)):
            # Exactly the rights the documentation asks users to grant: the
            # API's tests then prove that they are enough for every endpoint.
            rules = workload_rules()
            token = create_service_account_token(cluster, f"mayyam-api-{name}", rules)
            manifests = registration_manifests(
                name, namespace, cluster.server, token, cluster.ca_cert
            )
            management.apply(manifests)
        for name in ("local", "remote"):
            management.kubectl(
                "wait",
                "-n",
                namespace,
                "--for=condition=Ready",
                "--timeout=60s",
                f"mayyamcluster/{name}",
            )
        product.start_api()
        yield ServedClusters(product)
    finally:
        product.stop()
        management.kubectl("delete", "namespace", namespace, "--wait=false")


#: The names under which the ``served`` fixture registers the two clusters.
SERVED = ("local", "remote")


@dataclass
class ServedNamespace:
    """A fresh namespace on the cluster registered as ``cluster_id``."""

    served: ServedClusters
    cluster_id: str
    cluster: Cluster
    name: str

    def path(self, resource: str, name: str = "") -> str:
        """The API path of a resource of this namespace (or of one object)."""
        base = f"/clusters/{self.cluster_id}/namespaces/{self.name}/{resource}"
        return f"{base}/{name}" if name else base

    def api(self, *roles: str, clusters: list[str] | None = None) -> httpx.Client:
        return self.served.client(*roles, clusters=clusters)

    def kubectl(self, *args: str, input: str | None = None) -> str:
        return self.cluster.kubectl("-n", self.name, *args, input=input)

    def get(self, kind: str, name: str) -> dict | None:
        """The object as kubectl sees it, or None when it does not exist."""
        found = self.kubectl("get", kind, name, "--ignore-not-found", "-o", "json")
        return json.loads(found) if found.strip() else None

    def apply(self, manifest: dict) -> None:
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest))


@pytest.fixture
def namespace_on(
    served: ServedClusters, management: Cluster, workload: Cluster, make_namespace
) -> Callable[[str], ServedNamespace]:
    """New namespaces on the cluster ``served`` registers as the given id."""

    def make(cluster_id: str) -> ServedNamespace:
        cluster = management if cluster_id == "local" else workload
        return ServedNamespace(served, cluster_id, cluster, make_namespace(cluster))

    return make


@pytest.fixture(params=SERVED)
def each(request: pytest.FixtureRequest, namespace_on) -> ServedNamespace:
    """A namespace of its own on each served cluster in turn."""
    return namespace_on(request.param)


@pytest.fixture
def ns(namespace_on) -> ServedNamespace:
    """A namespace of its own on the workload cluster, served as ``remote``."""
    return namespace_on("remote")
