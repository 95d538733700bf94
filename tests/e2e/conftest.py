"""Per-test isolation on the shared clusters: every test works in namespaces
of its own, removed when it ends."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product
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
