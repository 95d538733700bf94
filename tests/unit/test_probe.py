"""Probing a registered cluster, and how each failure is named."""

import asyncio
import base64

import pytest
from factories import CLUSTER_TOKEN, NAMESPACE, make_cluster
from fake_kubernetes import Authority, FakeKubernetes, status_object
from kubernetes.client import ApiClient, Configuration

from mayyam.api.config import ApiSettings
from mayyam.operator.probe import ClusterProber, ProbeResult

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


def probe(management: ApiClient, settings: ApiSettings, server: str) -> ProbeResult:
    prober = ClusterProber(management, settings)
    return asyncio.run(prober.probe(make_cluster(server=server)))


@pytest.mark.usefixtures("secret_data")
def test_a_reachable_cluster_is_ready_with_its_version(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer("/version", version_object())

    result = probe(management, settings, fake_cluster.url)

    assert result == ProbeResult(
        True, "Connected", "The API server answered with version v1.34.2.", "v1.34.2"
    )


def test_a_missing_secret_is_not_ready(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    result = probe(management, settings, fake_cluster.url)

    assert (result.ready, result.reason) == (False, "SecretNotFound")


def test_a_refused_token_is_unauthorized(
    management: ApiClient,
    settings: ApiSettings,
    fake_cluster: FakeKubernetes,
    secret_data: dict[str, str],
) -> None:
    fake_cluster.answer(SECRET_PATH, _secret_object({**secret_data, "token": "stale"}))

    result = probe(management, settings, fake_cluster.url)

    assert (result.ready, result.reason) == (False, "Unauthorized")
    assert "stale" not in result.message


@pytest.mark.usefixtures("secret_data")
def test_a_forbidden_answer_is_forbidden(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer("/version", status_object(403, "Forbidden", "no"), status=403)

    assert probe(management, settings, fake_cluster.url).reason == "Forbidden"


@pytest.mark.usefixtures("secret_data")
def test_a_closed_port_is_connection_refused(
    management: ApiClient, settings: ApiSettings, closed_port: int
) -> None:
    result = probe(management, settings, f"https://127.0.0.1:{closed_port}")

    assert (result.ready, result.reason) == (False, "ConnectionRefused")


@pytest.mark.usefixtures("secret_data")
def test_a_slow_cluster_is_a_timeout(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer("/version", version_object())
    fake_cluster.delays["/version"] = 1.5

    result = probe(management, settings, fake_cluster.url)

    assert (result.ready, result.reason) == (False, "Timeout")


@pytest.mark.usefixtures("secret_data")
def test_an_answer_that_does_not_fit_the_api_is_an_invalid_response(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    fake_cluster.answer("/version", {"gitVersion": "v1.34.2"})

    result = probe(management, settings, fake_cluster.url)

    assert (result.ready, result.reason) == (False, "InvalidResponse")


@pytest.mark.usefixtures("secret_data")
def test_a_certificate_from_another_ca_is_a_tls_error(
    management: ApiClient,
    settings: ApiSettings,
    fake_cluster: FakeKubernetes,
    secret_data: dict[str, str],
) -> None:
    stranger = Authority.create("some-other-ca")
    fake_cluster.answer(SECRET_PATH, _secret_object({**secret_data, "ca.crt": stranger.pem}))

    result = probe(management, settings, fake_cluster.url)

    assert (result.ready, result.reason) == (False, "TLSError")
    assert "certificate verify failed" in result.message
