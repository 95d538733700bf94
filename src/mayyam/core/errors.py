"""Errors shared by the operator and the API.

Every error carries a machine ``reason`` (CamelCase, as Kubernetes writes the
reasons of its conditions and Status objects) and a human message. Messages
never hold a token, a certificate or a kubeconfig: they name objects and
keys, not values.

The tree::

    MayyamError
     ├── ConfigurationError        the management cluster cannot be configured
     ├── CredentialsError          a MayyamCluster's credentials cannot be used
     └── ClusterAccessError        a call to a cluster did not succeed, e.g.
          │                        its answer did not fit the API's schema
          ├── ClusterUnreachableError   no HTTP answer: ConnectionRefused,
          │                             DNSFailure, TLSVerificationFailed, ...
          ├── ClusterTimeoutError       connecting or reading took too long
          └── ClusterApiError           the cluster answered with an error status

The API maps these to HTTP statuses in ``mayyam.api.errors``; the operator
maps them to the ``Ready`` condition.
"""


class MayyamError(Exception):
    """The base of all errors Mayyam raises on purpose."""

    #: A stable, machine-readable cause, e.g. ``SecretNotFound``.
    reason: str = "Error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class ConfigurationError(MayyamError):
    """The management cluster's configuration cannot be loaded."""

    reason = "ConfigurationInvalid"


class CredentialsError(MayyamError):
    """A MayyamCluster's spec or Secret cannot be turned into a client.

    Typical reasons: ``SecretNotFound``, ``SecretKeyMissing``,
    ``SecretKeyInvalid``, ``InvalidCertificate``, ``InvalidKubeconfig``,
    ``KubeconfigUnsupported``, ``CredentialsAmbiguous``, ``InvalidSpec``.
    """

    reason = "CredentialsInvalid"


class ClusterAccessError(MayyamError):
    """A call to a cluster's API server did not succeed."""

    reason = "Unreachable"

    def __init__(self, message: str, *, cluster: str, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.cluster = cluster


class ClusterUnreachableError(ClusterAccessError):
    """The cluster gave no HTTP answer: connection refused, DNS, TLS, reset."""


class ClusterTimeoutError(ClusterAccessError):
    """Connecting to the cluster or reading its answer took too long."""

    reason = "Timeout"


class ClusterApiError(ClusterAccessError):
    """The cluster answered with an HTTP error status.

    ``status`` is the remote HTTP status and ``reason`` the ``reason`` of the
    Kubernetes Status object it sent (``Forbidden``, ``NotFound``, ...).
    """

    def __init__(self, message: str, *, cluster: str, status: int, reason: str) -> None:
        super().__init__(message, cluster=cluster, reason=reason)
        self.status = status
