"""TLS for the clients of registered clusters, built in memory.

Credentials come from Secrets and must not be written to disk. The
Kubernetes client takes a CA as PEM text but a client certificate only as a
file path, and Python's ``ssl`` loads a certificate chain only from a path.
So Mayyam builds the ``SSLContext`` itself -- the CA, the client certificate
and the verification mode -- and gives it to the client's connection pools.
The client certificate reaches ``ssl`` through an anonymous in-memory file
(``memfd``) where the system has them, else through a private temporary file
that is removed as soon as it has been read.
"""

import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kubernetes.client import ApiClient

from mayyam.core.errors import CredentialsError

#: PEM headers of private keys that need a passphrase, which nobody can type.
_ENCRYPTED_KEY_MARKERS = ("ENCRYPTED PRIVATE KEY", "Proc-Type: 4,ENCRYPTED")


@dataclass(frozen=True)
class TlsSettings:
    """How a client secures its connection to one API server.

    ``ca_pem`` ``None`` means the system's trusted CAs. ``where_ca`` and
    ``where_client`` name the origin of the PEM texts in messages, e.g.
    ``key 'ca.crt' of Secret 'prod'``; the texts themselves are never shown.
    """

    ca_pem: str | None = None
    insecure: bool = False
    server_name: str | None = None
    client_cert_pem: str | None = None
    client_key_pem: str | None = None
    where_ca: str = "the CA certificate"
    where_client: str = "the client certificate"


def build_ssl_context(tls: TlsSettings) -> ssl.SSLContext:
    """Build the context for ``tls``; raise `CredentialsError` on bad PEM."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2

    if tls.insecure:
        # urllib3 matches the host name itself when verification is on.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif tls.ca_pem is not None:
        check_ca_certificate(tls.ca_pem, tls.where_ca)
        context.load_verify_locations(cadata=tls.ca_pem)
    else:
        context.load_default_certs()

    if tls.client_cert_pem is not None or tls.client_key_pem is not None:
        _load_client_certificate(context, tls)
    return context


def install_ssl_context(client: ApiClient, context: ssl.SSLContext) -> None:
    """Make every connection of ``client`` use ``context``.

    The client's pool manager passes its keyword arguments to each pool it
    opens; no pool exists yet, so all of them get the context.
    """
    client.rest_client.pool_manager.connection_pool_kw["ssl_context"] = context


def check_ca_certificate(pem: str, where: str) -> None:
    """Raise ``InvalidCertificate`` unless ``pem`` holds a PEM certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError) as e:
        raise CredentialsError(
            f"{_capitalized(where)} is not a PEM-encoded certificate.",
            reason="InvalidCertificate",
        ) from e

    if context.cert_store_stats().get("x509", 0) == 0:
        raise CredentialsError(
            f"{_capitalized(where)} holds no certificate.", reason="InvalidCertificate"
        )


def _load_client_certificate(context: ssl.SSLContext, tls: TlsSettings) -> None:
    cert, key = tls.client_cert_pem, tls.client_key_pem
    if not cert or not key:
        raise CredentialsError(
            f"{_capitalized(tls.where_client)} needs both a certificate and its key.",
            reason="SecretKeyMissing",
        )
    if any(marker in key for marker in _ENCRYPTED_KEY_MARKERS):
        raise CredentialsError(
            f"The private key of {tls.where_client} is encrypted; store it without a passphrase.",
            reason="InvalidCertificate",
        )
    check_ca_certificate(cert, tls.where_client)

    with _pem_path(cert.rstrip("\n") + "\n" + key) as path:
        try:
            # An empty passphrase: never an interactive prompt.
            context.load_cert_chain(path, password="")
        except ssl.SSLError as e:
            raise CredentialsError(
                _describe_chain_error(e, tls.where_client), reason="InvalidCertificate"
            ) from e


def _describe_chain_error(error: ssl.SSLError, where: str) -> str:
    if "KEY_VALUES_MISMATCH" in str(error):
        return f"The certificate and the private key of {where} do not belong together."
    return f"The private key of {where} is not a PEM-encoded private key."


@contextmanager
def _pem_path(pem: str) -> Iterator[str]:
    """A path that reads as ``pem`` while the block runs, and then vanishes."""
    data = pem.encode()
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("mayyam-client-certificate", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return

    with tempfile.TemporaryDirectory(prefix="mayyam-") as directory:
        path = os.path.join(directory, "client.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        yield path


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
