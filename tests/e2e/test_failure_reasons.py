"""Every way a registration fails is named, for real, with a message to act on.

One operator serves the whole module. It resolves names through 127.0.0.1
only, where no DNS server listens: the DNS case fails on this machine and
sends no query anywhere else.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product
from tests.e2e.helpers import (
    FAST_OPERATOR,
    READ_NAMESPACES,
    condition_of,
    register,
    service_account_token,
    start_product,
    wait_for,
    wait_for_condition,
)

WRONG_TOKEN = "wrong-token-that-must-never-be-shown"


class SilentListener:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self._held:
            connection.close()


@dataclass
class World:
    """What the cases build their registrations from."""

    management: Cluster
    workload: Cluster
    namespace: str
    workload_namespace: str
    closed_port: int
    silent_port: int


@pytest.fixture(scope="module")
def world(
    management: Cluster, workload: Cluster, tmp_path_factory
) -> Iterator[tuple[World, Product]]:
    namespace = f"e2e-reasons-{secrets.token_hex(3)}"
    for cluster in (management, workload):
        cluster.kubectl("create", "namespace", namespace)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    listener = SilentListener()

    product = start_product(management, namespace, tmp_path_factory.mktemp("reasons"))
    product.start_operator(env=FAST_OPERATOR, local_dns=True)
    yield World(management, workload, namespace, namespace, closed_port, listener.port), product

    product.stop()
    listener.close()
    for cluster in (management, workload):
        cluster.kubectl("delete", "namespace", namespace, "--wait=false")


def _token(world: World) -> dict:
    token = service_account_token(world.workload, world.workload_namespace, READ_NAMESPACES)
    return {"token": token, "ca.crt": world.workload.ca_cert}


def _exec_kubeconfig(world: World) -> dict:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": world.workload.server}}],
        "users": [
            {
                "name": "u",
                "user": {
                    "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "gcloud"}
                },
            }
        ],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    return {"kubeconfig": json.dumps(config)}


@dataclass(frozen=True)
class Case:
    """A broken registration, and what its conditions must say."""

    reason: str
    build: Callable[[World], tuple[dict | None, dict]]
    credentials: str
    reachable: str
    #: A word the message must hold, so that a person knows what to check.
    hint: str


CASES = [
    Case(
        "SecretNotFound",
        lambda w: (None, {"server": w.workload.server}),
        "False",
        "Unknown",
        "not found",
    ),
    Case(
        "SecretKeyMissing",
        lambda w: ({"ca.crt": w.workload.ca_cert}, {"server": w.workload.server}),
        "False",
        "Unknown",
        "token",
    ),
    Case(
        "InvalidCertificate",
        lambda w: ({"token": "t", "ca.crt": "not a certificate"}, {"server": w.workload.server}),
        "False",
        "Unknown",
        "ca.crt",
    ),
    Case(
        "InvalidKubeconfig",
        lambda w: ({"kubeconfig": "clusters: [unclosed"}, {}),
        "False",
        "Unknown",
        "YAML",
    ),
    Case(
        "KubeconfigUnsupported", lambda w: (_exec_kubeconfig(w), {}), "False", "Unknown", "plugin"
    ),
    Case(
        "ConnectionRefused",
        lambda w: (_token(w), {"server": f"https://127.0.0.1:{w.closed_port}"}),
        "Unknown",
        "False",
        "spec.server",
    ),
    Case(
        "DNSFailure",
        lambda w: (_token(w), {"server": "https://nonexistent.invalid:6443"}),
        "Unknown",
        "False",
        "host name",
    ),
    Case(
        "TLSVerificationFailed",
        lambda w: (
            {**_token(w), "ca.crt": w.management.ca_cert},
            {"server": w.workload.server},
        ),
        "Unknown",
        "False",
        "certificate verify failed",
    ),
    Case(
        "Timeout",
        lambda w: (
            _token(w),
            {"server": f"https://127.0.0.1:{w.silent_port}", "healthCheck": {"timeoutSeconds": 2}},
        ),
        "Unknown",
        "False",
        "timeoutSeconds",
    ),
    Case(
        "Unauthorized",
        lambda w: ({**_token(w), "token": WRONG_TOKEN}, {"server": w.workload.server}),
        "False",
        "True",
        "401",
    ),
    Case(
        "Forbidden",
        lambda w: (
            {
                "token": service_account_token(w.workload, w.workload_namespace, []),
                "ca.crt": w.workload.ca_cert,
            },
            {"server": w.workload.server},
        ),
        "False",
        "True",
        "namespaces",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.reason for c in CASES])
def test_each_failure_has_its_own_reason_and_an_actionable_message(world, case: Case) -> None:
    world_, _product = world
    name = case.reason.lower()
    data, spec = case.build(world_)

    register(world_.management, world_.namespace, name, data, spec)
    obj = wait_for_condition(
        world_.management, world_.namespace, name, "Ready", "False", case.reason, timeout=30
    )

    credentials = condition_of(obj, "CredentialsValid")
    reachable = condition_of(obj, "Reachable")
    ready = condition_of(obj, "Ready")
    assert (credentials["status"], reachable["status"]) == (case.credentials, case.reachable)
    assert case.hint in ready["message"], ready["message"]
    assert WRONG_TOKEN not in json.dumps(obj["status"])


def test_a_failing_cluster_is_retried_with_backoff_and_logged_once(world) -> None:
    world_, product = world
    [operator] = product.processes
    register(
        world_.management,
        world_.namespace,
        "keeps-failing",
        _token(world_),
        {"server": f"https://127.0.0.1:{world_.closed_port}"},
    )
    wait_for_condition(
        world_.management, world_.namespace, "keeps-failing", "Ready", "False", "ConnectionRefused"
    )

    # The first failure is a warning; the retries after it only debug lines.
    def lines(text: str) -> list[str]:
        return [line for line in operator.log_path.read_text().splitlines() if text in line]

    wait_for(lambda: len(lines("keeps-failing is still")) >= 2, 30, "two more failed probes")
    assert len(lines("keeps-failing is not ready")) == 1


def test_the_operator_log_never_shows_a_token(world) -> None:
    _, product = world
    [operator] = product.processes

    log = operator.log_path.read_text()

    assert WRONG_TOKEN not in log
    assert "BEGIN CERTIFICATE" not in log and "PRIVATE KEY" not in log
