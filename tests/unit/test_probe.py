"""Probing a registered cluster, and how each failure is named."""

import base64

import pytest
from factories import CLUSTER_TOKEN, NAMESPACE, make_cluster
from fake_kubernetes import Authority, FakeKubernetes, status_object
from kubernetes.client import ApiClient, Configuration

from mayyam.operator.config import OperatorSettings
from mayyam.operator.probe import ClusterProber, ProbeResult, Verdict

SECRET_PATH = f"/api/v1/namespaces/{NAMESPACE}/secrets/fake-credentials"


@pytest.fixture
def management(fake_cluster: FakeKubernetes, authority: Authority) -> ApiClient:
    """The fake cluster plays the management cluster too and holds the Secret."""
    configuration = Configuration(host=fake_cluster.url)
    configuration.ca_cert_data = authority.pem
    configuration.api_key = {"BearerToken": f"Bearer {CLUSTER_TOKEN}"}
    configuration.retries = 0
    return ApiClient(configuration)


@pytest.fixture
def secret_data(fake_cluster: FakeKubernetes, authority: Authority) -> dict[str, str]:
    data = {"token": CLUSTER_TOKEN, "ca.crt": authority.pem}
    fake_cluster.answer(SECRET_PATH, _secret_object(data))
    return data


def _secret_object(data: dict[str, str]) -> dict:
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "fake-credentials", "namespace": NAMESPACE},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def version_object() -> dict[str, str]:
    return {
        "major": "1",
        "minor": "34",
        "gitVersion": "v1.34.2",
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


@pytest.fixture
def settings() -> OperatorSettings:
    return OperatorSettings(namespace=NAMESPACE, connect_timeout=1.0, read_timeout=1.0)


def list_object(kind: str, count: int, remaining: int | None = None) -> dict:
    metadata: dict = {"resourceVersion": "1"}
    if remaining is not None:
        metadata.update(remainingItemCount=remaining, **{"continue": "more"})
    items = [{"metadata": {"name": f"{kind.lower()}-{i}"}} for i in range(count)]
    return {"kind": f"{kind}List", "apiVersion": "v1", "metadata": metadata, "items": items}


def answer_a_healthy_cluster(fake: FakeKubernetes, *, nodes: int | None = None) -> None:
    fake.answer("/version", version_object())
    fake.answer("/api/v1/namespaces", list_object("Namespace", 1))
    if nodes is not None:
        fake.answer("/api/v1/nodes", list_object("Node", 1, remaining=nodes - 1))


def probe(
    management: ApiClient, settings: OperatorSettings, server: str, timeout: float = 1.0
) -> ProbeResult:
    prober = ClusterProber(management, settings)
    return prober.probe(make_cluster(server=server), timeout=timeout)


@pytest.mark.usefixtures("secret_data")
def test_a_reachable_cluster_is_ready_with_its_version_and_node_count(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    answer_a_healthy_cluster(fake_cluster, nodes=5)

    result = probe(management, settings, fake_cluster.url)

    assert result.credentials == Verdict(
        "True", "Accepted", "The API server accepted the credentials."
    )
    assert result.reachable.reason == "Connected"
    assert result.ready.status == "True"
    assert (result.kubernetes_version, result.node_count) == ("v1.34.2", 5)


@pytest.mark.usefixtures("secret_data")
def test_credentials_that_may_not_list_nodes_leave_the_node_count_out(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    answer_a_healthy_cluster(fake_cluster)
    fake_cluster.answer("/api/v1/nodes", status_object(403, "Forbidden", "no"), status=403)

    result = probe(management, settings, fake_cluster.url)

    assert result.ready.status == "True"
    assert result.node_count is None


def test_a_missing_secret_is_not_ready(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    result = probe(management, settings, fake_cluster.url)

    assert (result.credentials.status, result.credentials.reason) == ("False", "SecretNotFound")
    assert result.reachable.status == "Unknown"
    assert result.ready.reason == "SecretNotFound"


def test_a_refused_token_is_unauthorized(
    management: ApiClient,
    settings: OperatorSettings,
    fake_cluster: FakeKubernetes,
    secret_data: dict[str, str],
) -> None:
    fake_cluster.answer(SECRET_PATH, _secret_object({**secret_data, "token": "stale"}))

    result = probe(management, settings, fake_cluster.url)

    assert (result.credentials.status, result.credentials.reason) == ("False", "Unauthorized")
    assert result.reachable.status == "True"
    assert "fake-credentials" in result.credentials.message
    assert "stale" not in result.credentials.message


@pytest.mark.usefixtures("secret_data")
def test_a_forbidden_answer_is_forbidden(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    answer_a_healthy_cluster(fake_cluster)
    fake_cluster.answer("/api/v1/namespaces", status_object(403, "Forbidden", "no"), status=403)

    result = probe(management, settings, fake_cluster.url)

    assert (result.credentials.status, result.credentials.reason) == ("False", "Forbidden")
    assert "namespaces" in result.credentials.message


@pytest.mark.usefixtures("secret_data")
def test_a_closed_port_is_connection_refused(
    management: ApiClient, settings: OperatorSettings, closed_port: int
) -> None:
    result = probe(management, settings, f"https://127.0.0.1:{closed_port}")

    assert (result.reachable.status, result.reachable.reason) == ("False", "ConnectionRefused")
    assert result.credentials.status == "Unknown"
    assert "spec.server" in result.reachable.message


@pytest.mark.usefixtures("secret_data")
def test_a_slow_cluster_is_a_timeout(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    answer_a_healthy_cluster(fake_cluster)
    fake_cluster.delays["/api/v1/namespaces"] = 1.5

    result = probe(management, settings, fake_cluster.url, timeout=1.0)

    assert (result.reachable.status, result.reachable.reason) == ("False", "Timeout")
    assert "timeoutSeconds" in result.reachable.message


@pytest.mark.usefixtures("secret_data")
def test_an_answer_that_does_not_fit_the_api_is_an_invalid_response(
    management: ApiClient, settings: OperatorSettings, fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer("/version", {"gitVersion": "v1.34.2"})

    result = probe(management, settings, fake_cluster.url)

    assert result.ready.reason == "InvalidResponse"


@pytest.mark.usefixtures("secret_data")
def test_a_certificate_from_another_ca_is_a_tls_error(
    management: ApiClient,
    settings: OperatorSettings,
    fake_cluster: FakeKubernetes,
    secret_data: dict[str, str],
) -> None:
    stranger = Authority.create("some-other-ca")
    fake_cluster.answer(SECRET_PATH, _secret_object({**secret_data, "ca.crt": stranger.pem}))

    result = probe(management, settings, fake_cluster.url)

    assert (result.reachable.status, result.reachable.reason) == (
        "False",
        "TLSVerificationFailed",
    )
    assert "certificate verify failed" in result.reachable.message
