"""Real Kubernetes clusters for the end-to-end tests.

``--cluster=local`` (the default) starts clusters from real binaries on this
machine, ``--cluster=kind`` creates kind clusters through pytest-kind (it needs
Docker and the internet), and ``--kubeconfig=PATH`` (without ``--cluster=kind``) uses
one existing cluster for every role. Clusters start once per test session, and only when a test
asks for one: unit tests never start any.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clusters import Cluster, kind_clusters, local_clusters


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mayyam")
    group.addoption("--cluster", choices=["local", "kind"], default="local",
                    help="where the end-to-end clusters come from (default: local)")
    # pytest-kind already defines --kubeconfig; without --cluster=kind it
    # names an existing cluster to use for every role.


@pytest.fixture(scope="session")
def clusters(request: pytest.FixtureRequest) -> Iterator[list[Cluster]]:
    """Two clusters: the first to manage from, the second to register."""
    kind = request.config.getoption("--cluster") == "kind"
    existing = request.config.getoption("--kubeconfig")
    if existing and not kind:
        kubectl = shutil.which("kubectl")
        if not kubectl:
            pytest.fail("--kubeconfig needs kubectl on the PATH")
        cluster = Cluster("existing", Path(existing), kubectl, "busybox:1.36", "IfNotPresent")
        yield [cluster, cluster]
    elif kind:
        yield from kind_clusters()
    else:
        yield from local_clusters()


@pytest.fixture(scope="session")
def management(clusters: list[Cluster]) -> Cluster:
    return clusters[0]


@pytest.fixture(scope="session")
def workload(clusters: list[Cluster]) -> Cluster:
    return clusters[1]
