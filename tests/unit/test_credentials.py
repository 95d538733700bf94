"""Turning a MayyamCluster and its Secret into a client of the cluster."""

import base64

import pytest
import yaml
from factories import make_cluster, make_secret
from fake_kubernetes import Authority

from mayyam.core.credentials import build_cluster_client
from mayyam.core.errors import ConfigurationError, CredentialsError

TOKEN = "a-bearer-token-that-must-never-be-shown"


def build(cluster=None, secret=None, **kwargs):
    return build_cluster_client(cluster or make_cluster(), secret, **kwargs)


def test_a_token_and_ca_make_a_client_that_trusts_only_that_ca(authority: Authority) -> None:
    client = build(secret=make_secret({"token": f"{TOKEN}\n", "ca.crt": authority.pem}))

    configuration = client.configuration
    assert configuration.host == "https://127.0.0.1:6443"
    assert configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"
    assert configuration.ca_cert_data == authority.pem
    assert configuration.ssl_ca_cert is None
    assert configuration.verify_ssl is True


def test_decoded_secret_data_is_accepted_as_well(authority: Authority) -> None:
    client = build(secret={"token": TOKEN, "ca.crt": authority.pem})

    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"


def assert_refused(reason: str, *, cluster=None, secret=None) -> CredentialsError:
    with pytest.raises(CredentialsError) as caught:
        build(cluster, secret)
    assert caught.value.reason == reason
    assert TOKEN not in caught.value.message
    assert "BEGIN CERTIFICATE" not in caught.value.message
    return caught.value


def test_a_missing_secret_is_reported_by_name() -> None:
    error = assert_refused("SecretNotFound")

    assert "fake-credentials" in error.message


@pytest.mark.parametrize("missing", ["token", "ca.crt"])
def test_a_missing_secret_key_is_reported_by_name(authority: Authority, missing: str) -> None:
    data = {"token": TOKEN, "ca.crt": authority.pem}
    del data[missing]

    error = assert_refused("SecretKeyMissing", secret=make_secret(data))
    assert repr(missing) in error.message


def test_an_empty_token_counts_as_missing(authority: Authority) -> None:
    assert_refused(
        "SecretKeyMissing", secret=make_secret({"token": " \n", "ca.crt": authority.pem})
    )


@pytest.mark.parametrize(
    "ca",
    [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
)
def test_a_ca_that_is_no_certificate_is_refused(ca: str) -> None:
    assert_refused("InvalidCertificate", secret=make_secret({"token": TOKEN, "ca.crt": ca}))


def test_a_value_that_is_not_base64_is_refused(authority: Authority) -> None:
    secret = make_secret({"ca.crt": authority.pem})
    secret.data["token"] = "%%% not base64 %%%"

    assert_refused("SecretKeyInvalid", secret=secret)


@pytest.mark.parametrize("server", [None, "http://127.0.0.1:6443", "127.0.0.1:6443"])
def test_a_server_that_is_not_an_https_url_is_refused(server: str | None) -> None:
    cluster = make_cluster()
    cluster["spec"]["server"] = server

    assert_refused("InvalidSpec", cluster=cluster)


def test_a_cluster_without_a_secret_reference_is_refused() -> None:
    cluster = make_cluster()
    del cluster["spec"]["credentials"]

    assert_refused("InvalidSpec", cluster=cluster)


def test_an_in_cluster_cluster_uses_the_management_kubeconfig(
    tmp_path, authority: Authority
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "management",
                        "cluster": {
                            "server": "https://127.0.0.1:7443",
                            "certificate-authority-data": base64.b64encode(
                                authority.pem.encode()
                            ).decode(),
                        },
                    }
                ],
                "users": [{"name": "admin", "user": {"token": TOKEN}}],
                "contexts": [
                    {"name": "admin", "context": {"cluster": "management", "user": "admin"}}
                ],
                "current-context": "admin",
            }
        )
    )
    cluster = make_cluster()
    cluster["spec"] = {"inCluster": True}

    client = build(cluster, None, management_kubeconfig=str(kubeconfig))

    assert client.configuration.host == "https://127.0.0.1:7443"
    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"


def test_an_unreadable_management_kubeconfig_is_a_configuration_error(tmp_path) -> None:
    cluster = make_cluster()
    cluster["spec"] = {"inCluster": True}

    with pytest.raises(ConfigurationError, match="cannot be loaded"):
        build(cluster, None, management_kubeconfig=str(tmp_path / "missing"))


def test_without_kubeconfig_or_service_account_the_management_cluster_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    cluster = make_cluster()
    cluster["spec"] = {"inCluster": True}

    with pytest.raises(ConfigurationError, match="MAYYAM_KUBECONFIG"):
        build(cluster, None)
