"""Turn a MayyamCluster and its Secret into a client of that cluster.

This is the one place that reads credentials. The operator uses it to probe
a cluster and the API to serve requests, so both see the same result for the
same objects.

A MayyamCluster reaches its cluster in one of these ways:

* ``spec.inCluster: true`` -- the cluster is the management cluster itself,
  reached the way ``mayyam.core.management`` reaches it (in a Pod: through
  the Pod's ServiceAccount);
* the Secret named by ``spec.credentials.secretRef.name``, in the
  MayyamCluster's namespace, holding exactly one of:

  - ``token``: a bearer token, with ``ca.crt``;
  - ``tls.crt`` and ``tls.key``: a client certificate and its key, with
    ``ca.crt``;
  - ``kubeconfig``: a whole kubeconfig (see ``mayyam.core.kubeconfig``),
    whose context is ``spec.credentials.context`` or its current one.

``spec.server`` names the API server; it may be left out when a kubeconfig
names one, and wins over it when both do. ``spec.tls.serverName`` and
``spec.tls.insecureSkipVerify`` apply to every kind; with the latter,
``ca.crt`` is not needed. Nothing is written to disk and nothing is sent
over the network here.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kubernetes.client import ApiClient, Configuration, V1Secret

from mayyam.core.errors import CredentialsError
from mayyam.core.kubeconfig import read_kubeconfig
from mayyam.core.management import configure_client_defaults, load_management_client
from mayyam.core.tls import TlsSettings, build_ssl_context, install_ssl_context

TOKEN_KEY = "token"
CA_KEY = "ca.crt"
CERT_KEY = "tls.crt"
PRIVATE_KEY_KEY = "tls.key"
KUBECONFIG_KEY = "kubeconfig"

_CA_HINT = (
    "the PEM certificate of the CA that signed the API server's certificate; "
    "it may only be left out when spec.tls.insecureSkipVerify is true"
)

#: A Secret as read from the API (``V1Secret``, values base64-encoded), or
#: its data already decoded into text.
SecretSource = V1Secret | Mapping[str, str]


@dataclass(frozen=True)
class ClusterEndpoint:
    """Where a cluster's API server is and how to authenticate to it."""

    server: str
    tls: TlsSettings
    token: str | None = None


def build_cluster_client(
    cluster: Mapping[str, Any],
    secret: SecretSource | None,
    *,
    management_kubeconfig: str | None = None,
    service_account_dir: str | None = None,
) -> ApiClient:
    """Build a client for the cluster a MayyamCluster describes.

    ``secret`` is the Secret named by the MayyamCluster, or ``None`` when it
    does not exist. Raises `CredentialsError` when the objects cannot make a
    working client, and `ConfigurationError` when ``spec.inCluster`` is set
    but the management cluster is not configured.
    """
    if (cluster.get("spec") or {}).get("inCluster"):
        return load_management_client(
            management_kubeconfig, service_account_dir=service_account_dir
        )
    return client_for_endpoint(read_endpoint(cluster, secret))


def read_endpoint(cluster: Mapping[str, Any], secret: SecretSource | None) -> ClusterEndpoint:
    """Read where and how to reach a (not in-cluster) MayyamCluster's cluster."""
    name = cluster_name(cluster)
    secret_name = secret_name_of(cluster)
    if secret_name is None:
        raise CredentialsError(
            f"MayyamCluster {name!r} sets neither spec.inCluster nor "
            "spec.credentials.secretRef.name.",
            reason="InvalidSpec",
        )
    if secret is None:
        raise CredentialsError(
            f"Secret {secret_name!r} of MayyamCluster {name!r} was not found in its namespace; "
            "create it, or correct spec.credentials.secretRef.name.",
            reason="SecretNotFound",
        )

    spec = cluster.get("spec") or {}
    kind = credential_kind(secret, secret_name)
    if kind == KUBECONFIG_KEY:
        endpoint = _from_kubeconfig(spec, secret, secret_name, name)
    else:
        endpoint = _from_keys(spec, secret, secret_name, name, kind)

    _check_server(endpoint.server, f"The API server URL of MayyamCluster {name!r}")
    return endpoint


def client_for_endpoint(endpoint: ClusterEndpoint) -> ApiClient:
    """Build a client that reaches ``endpoint``; raise on unusable PEM."""
    context = build_ssl_context(endpoint.tls)

    configuration = Configuration(host=endpoint.server.rstrip("/"))
    configure_client_defaults(configuration)
    configuration.verify_ssl = not endpoint.tls.insecure
    configuration.tls_server_name = endpoint.tls.server_name
    if endpoint.token:
        configuration.api_key = {"BearerToken": endpoint.token}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}

    client = ApiClient(configuration)
    install_ssl_context(client, context)
    return client


def cluster_name(cluster: Mapping[str, Any]) -> str:
    """The name of a MayyamCluster object."""
    return str((cluster.get("metadata") or {}).get("name", ""))


def secret_name_of(cluster: Mapping[str, Any]) -> str | None:
    """The name of the Secret a MayyamCluster refers to, if any."""
    spec = cluster.get("spec") or {}
    if spec.get("inCluster"):
        return None
    ref = (spec.get("credentials") or {}).get("secretRef") or {}
    name = ref.get("name")
    return name if isinstance(name, str) and name else None


def credential_kind(secret: SecretSource, secret_name: str) -> str:
    """Which kind of credentials a Secret holds: its key ``token``,
    ``tls.crt`` or ``kubeconfig``. Exactly one kind must be present."""
    present = [
        key for key in (KUBECONFIG_KEY, TOKEN_KEY, CERT_KEY, PRIVATE_KEY_KEY) if _has(secret, key)
    ]
    kinds = {CERT_KEY if key == PRIVATE_KEY_KEY else key for key in present}
    if len(kinds) > 1:
        raise CredentialsError(
            f"Secret {secret_name!r} holds more than one kind of credentials "
            f"(keys {', '.join(present)}); keep exactly one of token, "
            "tls.crt with tls.key, or kubeconfig.",
            reason="CredentialsAmbiguous",
        )
    if not kinds:
        raise CredentialsError(
            f"Secret {secret_name!r} holds no credentials: it needs a key token, "
            "tls.crt with tls.key, or kubeconfig.",
            reason="SecretKeyMissing",
        )
    return kinds.pop()


def _from_keys(
    spec: Mapping[str, Any], secret: SecretSource, secret_name: str, name: str, kind: str
) -> ClusterEndpoint:
    """A token or a client certificate, with ``ca.crt`` and ``spec.server``."""
    server = spec.get("server")
    if not isinstance(server, str) or not server:
        raise CredentialsError(
            f"MayyamCluster {name!r} has no spec.server; set it to the https:// URL "
            "of the API server, or give a kubeconfig in the Secret.",
            reason="InvalidSpec",
        )

    tls_spec = spec.get("tls") or {}
    insecure = tls_spec.get("insecureSkipVerify") is True
    ca_pem = None
    if not insecure:
        ca_pem = read_secret_key(secret, CA_KEY, secret_name, hint=_CA_HINT)

    token = cert = key = None
    if kind == TOKEN_KEY:
        token = read_secret_key(secret, TOKEN_KEY, secret_name).strip()
    else:
        cert = read_secret_key(secret, CERT_KEY, secret_name)
        key = read_secret_key(secret, PRIVATE_KEY_KEY, secret_name)

    tls = TlsSettings(
        ca_pem=ca_pem,
        insecure=insecure,
        server_name=tls_spec.get("serverName") or None,
        client_cert_pem=cert,
        client_key_pem=key,
        where_ca=f"key {CA_KEY!r} of Secret {secret_name!r}",
        where_client=f"keys {CERT_KEY!r} and {PRIVATE_KEY_KEY!r} of Secret {secret_name!r}",
    )
    return ClusterEndpoint(server=server, tls=tls, token=token)


def _from_kubeconfig(
    spec: Mapping[str, Any], secret: SecretSource, secret_name: str, name: str
) -> ClusterEndpoint:
    """A kubeconfig; ``spec.server`` and ``spec.tls`` win over what it says."""
    where = f"the kubeconfig in key {KUBECONFIG_KEY!r} of Secret {secret_name!r}"
    context = (spec.get("credentials") or {}).get("context") or None
    found = read_kubeconfig(
        read_secret_key(secret, KUBECONFIG_KEY, secret_name), context=context, where=where
    )
    if not found.token and not found.client_cert_pem:
        raise CredentialsError(
            f"The user in {where} has neither a token nor client-certificate-data.",
            reason="InvalidKubeconfig",
        )

    server = spec.get("server") or found.server
    if not server:
        raise CredentialsError(
            f"Neither spec.server of MayyamCluster {name!r} nor {where} names a server.",
            reason="InvalidSpec",
        )

    # A CA of the Secret's own serves kubeconfigs that embed none.
    ca_pem, where_ca = found.ca_pem, f"the certificate-authority-data of {where}"
    if ca_pem is None and _has(secret, CA_KEY):
        ca_pem = read_secret_key(secret, CA_KEY, secret_name)
        where_ca = f"key {CA_KEY!r} of Secret {secret_name!r}"

    tls_spec = spec.get("tls") or {}
    tls = TlsSettings(
        ca_pem=ca_pem,
        insecure=found.insecure or tls_spec.get("insecureSkipVerify") is True,
        server_name=tls_spec.get("serverName") or found.server_name,
        client_cert_pem=found.client_cert_pem,
        client_key_pem=found.client_key_pem,
        where_ca=where_ca,
        where_client=f"the client certificate of {where}",
    )
    return ClusterEndpoint(server=server, tls=tls, token=found.token)


def _check_server(server: str, what: str) -> None:
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise CredentialsError(
            f"{what} is not an https:// URL of a host (like https://host:6443).",
            reason="InvalidSpec",
        )


def read_secret_key(secret: SecretSource, key: str, secret_name: str, *, hint: str = "") -> str:
    """Return one value of a Secret as text, or raise ``SecretKeyMissing``."""
    if isinstance(secret, Mapping):
        value: str | None = secret.get(key)
    else:
        value = _decode_value(secret, key, secret_name)

    if not value or not value.strip():
        detail = f": {hint}" if hint else "."
        raise CredentialsError(
            f"Secret {secret_name!r} has no non-empty key {key!r}{detail}",
            reason="SecretKeyMissing",
        )
    return value


def _has(secret: SecretSource, key: str) -> bool:
    if isinstance(secret, Mapping):
        return bool(secret.get(key))
    return bool((secret.data or {}).get(key))


def _decode_value(secret: V1Secret, key: str, secret_name: str) -> str | None:
    encoded = (secret.data or {}).get(key)
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise CredentialsError(
            f"Key {key!r} of Secret {secret_name!r} is not base64-encoded UTF-8 text.",
            reason="SecretKeyInvalid",
        ) from e
