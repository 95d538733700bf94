"""Turn a MayyamCluster and its Secret into a client of that cluster.

This is the one place that reads credentials. The operator uses it to probe
a cluster and the API to serve requests, so both see the same result for the
same objects.

A MayyamCluster reaches its cluster in one of two ways:

* ``spec.inCluster: true`` -- the cluster is the management cluster itself,
  reached the way ``mayyam.core.management`` reaches it;
* ``spec.server`` plus the Secret named by ``spec.credentials.secretRef.name``
  in the MayyamCluster's namespace, with a bearer ``token`` and the ``ca.crt``
  that signed the API server's certificate.

Other kinds of credentials (a client certificate, a whole kubeconfig) belong
in ``_configure_credentials``. Certificates stay in memory: the client is
given the PEM text, never a file.
"""

import base64
import binascii
import ssl
from collections.abc import Mapping
from typing import Any

from kubernetes.client import ApiClient, Configuration, V1Secret

from mayyam.core.errors import CredentialsError
from mayyam.core.management import configure_client_defaults, load_management_client

TOKEN_KEY = "token"
CA_KEY = "ca.crt"

#: A Secret as read from the API (``V1Secret``, values base64-encoded), or
#: its data already decoded into text.
SecretSource = V1Secret | Mapping[str, str]


def build_cluster_client(
    cluster: Mapping[str, Any],
    secret: SecretSource | None,
    *,
    management_kubeconfig: str | None = None,
) -> ApiClient:
    """Build a client for the cluster a MayyamCluster describes.

    ``secret`` is the Secret named by the MayyamCluster, or ``None`` when it
    does not exist. Raises `CredentialsError` when the objects cannot make a
    working client; nothing is sent over the network here.
    """
    spec = cluster.get("spec") or {}
    if spec.get("inCluster"):
        return load_management_client(management_kubeconfig)

    name = cluster_name(cluster)
    server = spec.get("server")
    if not isinstance(server, str) or not server.startswith("https://"):
        raise CredentialsError(
            f"MayyamCluster {name!r} has no https:// URL in spec.server.", reason="InvalidSpec"
        )

    secret_name = secret_name_of(cluster)
    if secret_name is None:
        raise CredentialsError(
            f"MayyamCluster {name!r} sets neither spec.inCluster nor "
            "spec.credentials.secretRef.name.",
            reason="InvalidSpec",
        )
    if secret is None:
        raise CredentialsError(
            f"Secret {secret_name!r} of MayyamCluster {name!r} was not found.",
            reason="SecretNotFound",
        )

    configuration = Configuration(host=server.rstrip("/"))
    configure_client_defaults(configuration)
    _configure_credentials(configuration, secret, secret_name)
    return ApiClient(configuration)


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


def _configure_credentials(
    configuration: Configuration, secret: SecretSource, secret_name: str
) -> None:
    """Authenticate with a bearer token and trust only the given CA."""
    token = read_secret_key(secret, TOKEN_KEY, secret_name).strip()
    ca_pem = read_secret_key(secret, CA_KEY, secret_name)
    check_certificate(ca_pem, secret_name)

    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    configuration.verify_ssl = True
    configuration.ca_cert_data = ca_pem


def read_secret_key(secret: SecretSource, key: str, secret_name: str) -> str:
    """Return one value of a Secret as text, or raise ``SecretKeyMissing``."""
    if isinstance(secret, Mapping):
        value: str | None = secret.get(key)
    else:
        value = _decode_value(secret, key, secret_name)

    if not value or not value.strip():
        raise CredentialsError(
            f"Secret {secret_name!r} has no non-empty key {key!r}.", reason="SecretKeyMissing"
        )
    return value


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


def check_certificate(ca_pem: str, secret_name: str) -> None:
    """Raise ``InvalidCertificate`` unless the text holds a PEM certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=ca_pem)
    except (ssl.SSLError, ValueError) as e:
        raise CredentialsError(
            f"Key {CA_KEY!r} of Secret {secret_name!r} is not a PEM-encoded certificate.",
            reason="InvalidCertificate",
        ) from e

    if context.cert_store_stats().get("x509", 0) == 0:
        raise CredentialsError(
            f"Key {CA_KEY!r} of Secret {secret_name!r} holds no certificate.",
            reason="InvalidCertificate",
        )
