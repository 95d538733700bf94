"""Turning a MayyamCluster and its Secret into a client of the cluster."""

import base64
import json
import ssl

import pytest
from factories import make_cluster, make_secret
from fake_kubernetes import Authority

from mayyam.api.config import ApiSettings
from mayyam.core.credentials import ClusterEndpoint, build_cluster_client, client_for_endpoint
from mayyam.core.errors import ConfigurationError, CredentialsError
from mayyam.core.management import keep_connections
from mayyam.core.tls import TlsSettings

TOKEN = "a-bearer-token-that-must-never-be-shown"


def build(cluster=None, secret=None, **kwargs):
    return build_cluster_client(cluster or make_cluster(), secret, **kwargs)


def ssl_context(client) -> ssl.SSLContext:
    return client.rest_client.pool_manager.connection_pool_kw["ssl_context"]


def trusted_subjects(client) -> list:
    return [cert["subject"] for cert in ssl_context(client).get_ca_certs()]


def subject_of(authority: Authority):
    return ((("commonName", authority.certificate.subject.rfc4514_string()[3:]),),)


def test_a_token_and_ca_make_a_client_that_trusts_only_that_ca(authority: Authority) -> None:
    client = build(secret=make_secret({"token": f"{TOKEN}\n", "ca.crt": authority.pem}))

    configuration = client.configuration
    assert configuration.host == "https://127.0.0.1:6443"
    assert configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"
    assert configuration.verify_ssl is True
    assert trusted_subjects(client) == [subject_of(authority)]
    assert ssl_context(client).verify_mode == ssl.CERT_REQUIRED


def test_decoded_secret_data_is_accepted_as_well(authority: Authority) -> None:
    client = build(secret={"token": TOKEN, "ca.crt": authority.pem})

    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"


def test_a_client_certificate_authenticates_without_a_token(authority: Authority) -> None:
    cert, key = authority.issue_client_certificate("alice")

    client = build(secret=make_secret({"tls.crt": cert, "tls.key": key, "ca.crt": authority.pem}))

    assert client.configuration.get_api_key_with_prefix("BearerToken") is None
    assert trusted_subjects(client) == [subject_of(authority)]


def test_insecure_skip_verify_needs_no_ca_and_verifies_nothing() -> None:
    cluster = make_cluster()
    cluster["spec"]["tls"] = {"insecureSkipVerify": True}

    client = build(cluster, make_secret({"token": TOKEN}))

    assert client.configuration.verify_ssl is False
    assert ssl_context(client).verify_mode == ssl.CERT_NONE


def test_a_server_name_is_expected_instead_of_the_host(authority: Authority) -> None:
    cluster = make_cluster()
    cluster["spec"]["tls"] = {"serverName": "kubernetes.default.svc"}

    client = build(cluster, make_secret({"token": TOKEN, "ca.crt": authority.pem}))

    assert client.configuration.tls_server_name == "kubernetes.default.svc"


def assert_refused(reason: str, *, cluster=None, secret=None) -> CredentialsError:
    with pytest.raises(CredentialsError) as caught:
        build(cluster, secret)
    assert caught.value.reason == reason
    assert TOKEN not in caught.value.message
    assert "BEGIN" not in caught.value.message
    return caught.value


def test_a_missing_secret_is_reported_by_name() -> None:
    error = assert_refused("SecretNotFound")

    assert "fake-credentials" in error.message


@pytest.mark.parametrize("missing", ["token", "ca.crt"])
def test_a_missing_secret_key_is_reported_by_name(authority: Authority, missing: str) -> None:
    data = {"token": TOKEN, "ca.crt": authority.pem}
    del data[missing]

    error = assert_refused("SecretKeyMissing", secret=make_secret(data))
    assert missing in error.message


def test_an_empty_token_counts_as_missing(authority: Authority) -> None:
    assert_refused(
        "SecretKeyMissing", secret=make_secret({"token": " \n", "ca.crt": authority.pem})
    )


def test_a_certificate_without_its_key_is_a_missing_key(authority: Authority) -> None:
    cert, _ = authority.issue_client_certificate("alice")

    error = assert_refused(
        "SecretKeyMissing", secret=make_secret({"tls.crt": cert, "ca.crt": authority.pem})
    )
    assert "tls.key" in error.message


def test_a_certificate_and_a_key_that_do_not_match_are_refused(authority: Authority) -> None:
    cert, _ = authority.issue_client_certificate("alice")
    _, other_key = authority.issue_client_certificate("bob")
    secret = make_secret({"tls.crt": cert, "tls.key": other_key, "ca.crt": authority.pem})

    error = assert_refused("InvalidCertificate", secret=secret)
    assert "do not belong together" in error.message


def test_an_encrypted_private_key_is_refused_instead_of_prompting(authority: Authority) -> None:
    cert, _ = authority.issue_client_certificate("alice")
    key = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
    secret = make_secret({"tls.crt": cert, "tls.key": key, "ca.crt": authority.pem})

    assert "passphrase" in assert_refused("InvalidCertificate", secret=secret).message


def test_two_kinds_of_credentials_in_one_secret_are_ambiguous(authority: Authority) -> None:
    cert, key = authority.issue_client_certificate("alice")
    secret = make_secret({"token": TOKEN, "tls.crt": cert, "tls.key": key})

    assert_refused("CredentialsAmbiguous", secret=secret)


def test_a_secret_without_credentials_names_the_keys_it_needs(authority: Authority) -> None:
    error = assert_refused("SecretKeyMissing", secret=make_secret({"ca.crt": authority.pem}))

    assert "token" in error.message and "kubeconfig" in error.message


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
def test_a_server_that_is_not_an_https_url_is_refused(
    authority: Authority, server: str | None
) -> None:
    cluster = make_cluster()
    cluster["spec"]["server"] = server

    assert_refused(
        "InvalidSpec",
        cluster=cluster,
        secret=make_secret({"token": TOKEN, "ca.crt": authority.pem}),
    )


def test_a_cluster_without_a_secret_reference_is_refused() -> None:
    cluster = make_cluster()
    del cluster["spec"]["credentials"]

    assert_refused("InvalidSpec", cluster=cluster)


def kubeconfig(authority: Authority, *, user: dict, current: str = "main", **cluster) -> str:
    """A kubeconfig with two contexts: ``main`` and ``other``."""
    entry = {
        "server": "https://127.0.0.1:7443",
        "certificate-authority-data": base64.b64encode(authority.pem.encode()).decode(),
        **cluster,
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "main", "cluster": entry},
                {"name": "other", "cluster": {**entry, "server": "https://127.0.0.2:7443"}},
            ],
            "users": [{"name": "u", "user": user}],
            "contexts": [
                {"name": "main", "context": {"cluster": "main", "user": "u"}},
                {"name": "other", "context": {"cluster": "other", "user": "u"}},
            ],
            "current-context": current,
        }
    )


def kubeconfig_cluster(context: str | None = None) -> dict:
    cluster = make_cluster()
    del cluster["spec"]["server"]
    if context:
        cluster["spec"]["credentials"]["context"] = context
    return cluster


def test_a_kubeconfig_gives_the_server_the_ca_and_the_user(authority: Authority) -> None:
    secret = make_secret({"kubeconfig": kubeconfig(authority, user={"token": TOKEN})})

    client = build(kubeconfig_cluster(), secret)

    assert client.configuration.host == "https://127.0.0.1:7443"
    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"
    assert trusted_subjects(client) == [subject_of(authority)]


def test_a_kubeconfig_with_a_client_certificate_is_accepted(authority: Authority) -> None:
    cert, key = authority.issue_client_certificate("alice")
    user = {
        "client-certificate-data": base64.b64encode(cert.encode()).decode(),
        "client-key-data": base64.b64encode(key.encode()).decode(),
    }

    client = build(
        kubeconfig_cluster(), make_secret({"kubeconfig": kubeconfig(authority, user=user)})
    )

    assert client.configuration.get_api_key_with_prefix("BearerToken") is None


def test_the_context_named_in_the_spec_wins_over_the_current_one(authority: Authority) -> None:
    secret = make_secret({"kubeconfig": kubeconfig(authority, user={"token": TOKEN})})

    client = build(kubeconfig_cluster(context="other"), secret)

    assert client.configuration.host == "https://127.0.0.2:7443"


def test_spec_server_wins_over_the_kubeconfig_server(authority: Authority) -> None:
    cluster = kubeconfig_cluster()
    cluster["spec"]["server"] = "https://127.0.0.3:6443"
    secret = make_secret({"kubeconfig": kubeconfig(authority, user={"token": TOKEN})})

    assert build(cluster, secret).configuration.host == "https://127.0.0.3:6443"


@pytest.mark.parametrize(
    ("user", "cluster_keys", "named"),
    [
        ({"exec": {"command": "aws", "apiVersion": "client.authentication.k8s.io/v1"}}, {}, "exec"),
        ({"auth-provider": {"name": "oidc"}}, {}, "auth-provider"),
        ({"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}, {}, "tokenFile"),
        ({"client-certificate": "/home/me/client.crt"}, {}, "client-certificate"),
        ({"token": TOKEN}, {"certificate-authority": "/etc/ca.crt"}, "certificate-authority"),
        ({"token": TOKEN}, {"proxy-url": "http://127.0.0.1:3128"}, "proxy-url"),
    ],
    ids=["exec", "auth-provider", "token-file", "cert-file", "ca-file", "proxy"],
)
def test_what_cannot_run_inside_a_pod_is_refused_up_front(
    authority: Authority, user: dict, cluster_keys: dict, named: str
) -> None:
    secret = make_secret({"kubeconfig": kubeconfig(authority, user=user, **cluster_keys)})

    error = assert_refused("KubeconfigUnsupported", cluster=kubeconfig_cluster(), secret=secret)
    assert named in error.message


@pytest.mark.parametrize(
    "text",
    ["{not yaml: [", "just a string", json.dumps({"apiVersion": "v1", "kind": "Config"})],
)
def test_text_that_is_no_kubeconfig_is_refused(text: str) -> None:
    assert_refused(
        "InvalidKubeconfig", cluster=kubeconfig_cluster(), secret=make_secret({"kubeconfig": text})
    )


def test_an_unknown_context_is_refused_by_name(authority: Authority) -> None:
    secret = make_secret({"kubeconfig": kubeconfig(authority, user={"token": TOKEN})})

    error = assert_refused(
        "InvalidKubeconfig", cluster=kubeconfig_cluster("nowhere"), secret=secret
    )
    assert "nowhere" in error.message


def test_an_in_cluster_cluster_uses_the_management_kubeconfig(
    tmp_path, authority: Authority
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig(authority, user={"token": TOKEN}))
    cluster = make_cluster()
    cluster["spec"] = {"inCluster": True}

    client = build(cluster, None, management_kubeconfig=str(path))

    assert client.configuration.host == "https://127.0.0.1:7443"
    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"Bearer {TOKEN}"


def test_in_a_pod_an_in_cluster_cluster_uses_the_service_account(
    tmp_path, authority: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "ca.crt").write_text(authority.pem)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "8443")
    cluster = make_cluster()
    cluster["spec"] = {"inCluster": True}

    client = build(cluster, None, service_account_dir=str(tmp_path))

    assert client.configuration.host == "https://127.0.0.1:8443"
    assert client.configuration.get_api_key_with_prefix("BearerToken") == f"bearer {TOKEN}"
    assert client.configuration.ssl_ca_cert == str(tmp_path / "ca.crt")


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


def test_a_client_can_pool_as_many_connections_as_calls_may_run_at_once() -> None:
    endpoint = ClusterEndpoint(server="https://127.0.0.1:6443", tls=TlsSettings(insecure=True))
    client = client_for_endpoint(endpoint)
    try:
        keep_connections(client, ApiSettings.model_fields["calls_per_cluster"].default)

        pool = client.rest_client.pool_manager.connection_pool_kw
        assert pool["maxsize"] == 32
        # The context holding the cluster's CA stays.
        assert pool["ssl_context"] is not None
        assert client.configuration.retries == 0
    finally:
        client.close()
