"""Calls to a cluster's API server, with failures turned into our errors.

The Kubernetes client raises ``ApiException`` for HTTP errors and lets
urllib3's exceptions through for everything below HTTP. `call_cluster`
catches both and raises one `ClusterAccessError` whose ``reason`` tells the
causes apart, so the API and the operator classify a failure the same way.
"""

import json
import socket
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from mayyam.core.errors import (
    ClusterAccessError,
    ClusterApiError,
    ClusterTimeoutError,
    ClusterUnreachableError,
)

T = TypeVar("T")

#: The longest part of a remote error message that is passed on.
MAX_MESSAGE_LENGTH = 300

#: Reasons for statuses whose answer carries no Kubernetes Status object.
_REASONS_BY_STATUS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def call_cluster(cluster: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call a Kubernetes client method; raise `ClusterAccessError` on failure.

    ``cluster`` names the cluster in messages. Pass ``_request_timeout`` in
    ``kwargs``: a call without one may wait forever.
    """
    try:
        return fn(*args, **kwargs)
    except ApiException as e:
        raise api_error(cluster, e) from e
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise transport_error(cluster, e) from e
    except pydantic.ValidationError as e:
        # The client validates answers against its models of the API.
        raise ClusterAccessError(
            f"Cluster {cluster!r} sent an answer that does not fit the Kubernetes API "
            f"({e.error_count()} invalid fields).",
            cluster=cluster,
            reason="InvalidResponse",
        ) from e


def api_error(cluster: str, error: ApiException) -> ClusterApiError:
    """Describe an HTTP error status the cluster answered with."""
    status = int(error.status or 0)
    reason, message = _read_status_object(error.body)
    reason = reason or _REASONS_BY_STATUS.get(status, "Error")
    message = message or f"The cluster answered HTTP {status}."
    return ClusterApiError(_truncate(message), cluster=cluster, status=status, reason=reason)


def transport_error(cluster: str, error: BaseException) -> ClusterAccessError:
    """Describe a failure below HTTP: no answer, or no answer in time."""
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason

    # NewConnectionError derives from ConnectTimeoutError, so it goes first.
    # The plain socket errors are what clients other than urllib3 (exec's
    # WebSocket) raise for the same causes.
    if isinstance(error, urllib3.exceptions.NameResolutionError | socket.gaierror):
        return ClusterUnreachableError(
            f"The host name of cluster {cluster!r} cannot be resolved ({_resolver_detail(error)}).",
            cluster=cluster,
            reason="DNSFailure",
        )
    if isinstance(error, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return _connection_error(cluster, error)
    if isinstance(error, urllib3.exceptions.TimeoutError | TimeoutError):
        return ClusterTimeoutError(
            f"Cluster {cluster!r} did not answer in time.", cluster=cluster, reason="Timeout"
        )
    if isinstance(error, urllib3.exceptions.SSLError | ssl.SSLError):
        verification = _verification_error(error)
        return ClusterUnreachableError(
            f"The TLS handshake with cluster {cluster!r} failed: {_tls_detail(error)}",
            cluster=cluster,
            reason="TLSVerificationFailed" if verification else "TLSError",
        )
    return ClusterUnreachableError(
        f"Cluster {cluster!r} cannot be reached ({type(error).__name__}).",
        cluster=cluster,
        reason="Unreachable",
    )


def _connection_error(cluster: str, error: BaseException) -> ClusterAccessError:
    if isinstance(error, ConnectionRefusedError) or isinstance(
        error.__cause__, ConnectionRefusedError
    ):
        return ClusterUnreachableError(
            f"Cluster {cluster!r} refused the connection.",
            cluster=cluster,
            reason="ConnectionRefused",
        )
    return ClusterUnreachableError(
        f"No connection to cluster {cluster!r} could be opened.",
        cluster=cluster,
        reason="Unreachable",
    )


def _tls_detail(error: BaseException) -> str:
    """The OpenSSL verdict, e.g. ``certificate verify failed``, if present."""
    verification = _verification_error(error)
    if verification is not None:
        # OpenSSL's verdict, or the host name check that urllib3 makes itself.
        detail = getattr(verification, "verify_message", None) or str(verification)
        return f"certificate verify failed: {detail}."
    for found in _causes(error):
        if isinstance(found, ssl.SSLError) and found.reason:
            return str(found.reason).replace("_", " ").lower() + "."
    return "the connection was not secured."


def _verification_error(error: BaseException) -> ssl.CertificateError | None:
    """The certificate verification failure behind ``error``, if it is one."""
    for found in _causes(error):
        if isinstance(found, ssl.CertificateError):
            return found
    return None


def _causes(error: BaseException) -> list[object]:
    return [error, error.__cause__, error.__context__, *error.args]


def _resolver_detail(error: BaseException) -> str:
    """The resolver's own words, e.g. ``Name or service not known``."""
    for found in (error, error.__cause__, error.__context__):
        if isinstance(found, OSError) and found.strerror:
            return found.strerror
    return "no address found"


def _read_status_object(body: object) -> tuple[str | None, str | None]:
    """Read ``reason`` and ``message`` from a Kubernetes Status in ``body``."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str) or not body.startswith("{"):
        return None, None
    try:
        status = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(status, dict) or status.get("kind") != "Status":
        return None, None

    reason, message = status.get("reason"), status.get("message")
    return (
        reason if isinstance(reason, str) and reason else None,
        message if isinstance(message, str) and message else None,
    )


def _truncate(text: str) -> str:
    if len(text) <= MAX_MESSAGE_LENGTH:
        return text
    return text[: MAX_MESSAGE_LENGTH - 3] + "..."
