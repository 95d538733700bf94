"""Messages a person can act on, for each way a probe fails.

``mayyam.core.remote`` says what went wrong, in words the API shares; here
each reason gets what to check next, because the status of a MayyamCluster
is often the only place a platform team looks.
"""

from collections.abc import Mapping
from typing import Any

from mayyam.core.credentials import secret_name_of
from mayyam.core.errors import ClusterAccessError, ClusterApiError

#: What to check, by the reason of a failure to reach the API server.
_ADVICE = {
    "ConnectionRefused": (
        "Nothing accepts connections at that address: check the host and port of "
        "spec.server, and that the API server is running."
    ),
    "DNSFailure": (
        "Check the host name in spec.server (or in the kubeconfig), and that the "
        "operator's DNS can resolve it."
    ),
    "TLSVerificationFailed": (
        "Check that ca.crt (or the kubeconfig's certificate-authority-data) is the CA "
        "that signed the API server's certificate, and that the certificate names the "
        "host of spec.server; spec.tls.serverName sets another name to expect."
    ),
    "TLSError": "Check that spec.server is the HTTPS port of a Kubernetes API server.",
    "Unreachable": "Check spec.server and the network path from the operator to it.",
}


def advise(error: ClusterAccessError, timeout: float) -> str:
    """The error's message, followed by what to check."""
    if error.reason == "Timeout":
        return (
            f"{error.message} No answer came within {timeout:g} s: check the network path "
            "to spec.server, or raise spec.healthCheck.timeoutSeconds for a slow cluster."
        )
    if isinstance(error, ClusterApiError):
        return (
            f"The API server answered HTTP {error.status} ({error.reason}): "
            f"{_sentence(error.message)} "
            "Check that spec.server is the URL of the API server itself."
        )
    advice = _ADVICE.get(error.reason, _ADVICE["Unreachable"])
    return f"{error.message} {advice}"


def refused_credentials(cluster: Mapping[str, Any], error: ClusterApiError) -> str:
    """Explain a 401 or 403 in terms of the Secret that holds the credentials."""
    where = _credentials_origin(cluster)
    if error.status == 401:
        return (
            f"The API server rejected the credentials from {where} (HTTP 401): the token "
            "or client certificate is wrong, expired or revoked. Update the credentials."
        )
    return (
        f"The credentials from {where} are valid, but the API server refused what "
        f"Mayyam needs (HTTP 403): {_sentence(error.message)} Grant at least get and list on "
        "namespaces to that identity."
    )


def _credentials_origin(cluster: Mapping[str, Any]) -> str:
    secret = secret_name_of(cluster)
    if secret is None:
        return "the operator's own ServiceAccount"
    return f"Secret {secret!r}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
