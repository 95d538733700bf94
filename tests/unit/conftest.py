"""Fixtures of the unit tests: settings, tokens, a fake cluster, the API app.

Nothing here needs a real cluster. The fake Kubernetes API server listens on
127.0.0.1 and is registered as the cluster ``fake`` in a registry that the
tests feed by hand, the way the watcher would.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import CLUSTER_TOKEN, JWT_SECRET, NAMESPACE, make_cluster, make_secret
from fake_kubernetes import Authority, FakeKubernetes, serve
from fastapi.testclient import TestClient

from mayyam.api import ApiSettings, create_app
from mayyam.api.auth import issue_token
from mayyam.api.registry import ClusterRegistry
from mayyam.core.credentials import build_cluster_client


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own settings and kubeconfig out of the tests."""
    for name in list(os.environ):
        if name.startswith("MAYYAM_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(
        jwt_secret=JWT_SECRET,
        namespace=NAMESPACE,
        connect_timeout=1.0,
        read_timeout=1.0,
    )


@pytest.fixture
def token(settings: ApiSettings) -> str:
    return issue_token(settings, subject="alice", roles=["viewer"])


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers_for(settings: ApiSettings) -> Callable[..., dict[str, str]]:
    """Authorization headers of a token for alice with the given roles."""

    def headers(*roles: str) -> dict[str, str]:
        token = issue_token(settings, subject="alice", roles=list(roles))
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def editor_headers(headers_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    """Headers of a token that may also write."""
    return headers_for("editor")


@pytest.fixture(scope="session")
def authority() -> Authority:
    return Authority.create("mayyam-unit-test-ca")


@pytest.fixture
def fake_cluster(authority: Authority, tmp_path: Path) -> Iterator[FakeKubernetes]:
    fake = FakeKubernetes(token=CLUSTER_TOKEN)
    server = serve(fake, authority, tmp_path)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def registry(fake_cluster: FakeKubernetes, authority: Authority) -> Iterator[ClusterRegistry]:
    """A registry that holds the fake cluster, as the watcher would fill it."""
    registry = ClusterRegistry(build_cluster_client)
    registry.replace_clusters([make_cluster(server=fake_cluster.url)])
    registry.replace_secrets([make_secret({"token": CLUSTER_TOKEN, "ca.crt": authority.pem})])
    yield registry
    registry.close()


@pytest.fixture
def client(settings: ApiSettings, registry: ClusterRegistry) -> Iterator[TestClient]:
    app = create_app(settings, registry=registry)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
