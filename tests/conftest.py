"""Real Kubernetes clusters for the end-to-end tests.

``--cluster=local`` (the default) starts clusters from real binaries on this
machine, ``--cluster=kind`` creates kind clusters through pytest-kind (it needs
Docker and the internet), and ``--kubeconfig=PATH`` (without ``--cluster=kind``) uses
one existing cluster for every role. Clusters start once per test session, and only when a test
asks for one: unit tests never start any.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mayyamdev.clusters import Cluster, existing_cluster, kind_clusters, local_clusters

ROLES = ["management", "workload"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mayyam")
    group.addoption(
        "--cluster",
        choices=["local", "kind"],
        default="local",
        help="where the end-to-end clusters come from (default: local)",
    )
    # pytest-kind already defines --kubeconfig; without --cluster=kind it
    # names an existing cluster to use for every role.


@pytest.fixture(scope="session")
def clusters(request: pytest.FixtureRequest) -> Iterator[list[Cluster]]:
    """Two clusters: the first to manage from, the second to register."""
    kind = request.config.getoption("--cluster") == "kind"
    existing = request.config.getoption("--kubeconfig")
    if existing and not kind:
        cluster = existing_cluster(Path(existing))
        yield [cluster, cluster]
        return
    start = kind_clusters if kind else local_clusters
    with start(ROLES) as started:
        yield started


@pytest.fixture(scope="session")
def management(clusters: list[Cluster]) -> Cluster:
    return clusters[0]


@pytest.fixture(scope="session")
def workload(clusters: list[Cluster]) -> Cluster:
    return clusters[1]
