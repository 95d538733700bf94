"""Probing a registered cluster: can Mayyam reach it with its credentials?

A probe reads the MayyamCluster's Secret from the management cluster, builds
the client the API would use (`mayyam.core.credentials`), and asks the API
server three things, all within the probe's timeout:

1. ``GET /version`` -- does it answer at all, and as which version?
2. list namespaces (one item) -- do the credentials authenticate, and may
   they do the least the API needs?
3. list nodes (one item, and the count of the rest) -- how many nodes, if
   the credentials may know.

The verdict is a `ProbeResult`, never an exception, for everything that is
the registered cluster's fault. Trouble reading the Secret from the
management cluster raises `SecretUnreadableError`: that says nothing about
the cluster, so its status is left as it is.

Probes block (the Kubernetes client is synchronous); the caller runs them in
worker threads.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kubernetes.client import ApiClient, CoreV1Api, V1ListMeta, V1Secret, VersionApi

from mayyam.core.credentials import build_cluster_client, cluster_name, secret_name_of
from mayyam.core.errors import (
    ClusterAccessError,
    ClusterApiError,
    ClusterTimeoutError,
    ConfigurationError,
    CredentialsError,
    MayyamError,
)
from mayyam.core.management import MANAGEMENT_CLUSTER
from mayyam.core.remote import call_cluster
from mayyam.operator.conditions import Status
from mayyam.operator.config import OperatorSettings
from mayyam.operator.diagnosis import advise, refused_credentials

T = TypeVar("T")


class SecretUnreadableError(MayyamError):
    """The management cluster did not hand out a MayyamCluster's Secret."""

    reason = "SecretUnreadable"


@dataclass(frozen=True)
class Verdict:
    """The status, reason and message of one condition."""

    status: Status
    reason: str
    message: str


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe of one cluster."""

    credentials: Verdict
    reachable: Verdict
    kubernetes_version: str | None = None
    node_count: int | None = None

    @property
    def ready(self) -> Verdict:
        """True when both others are; else the first False (or Unknown) one."""
        verdicts = (self.credentials, self.reachable)
        if all(v.status == "True" for v in verdicts):
            return Verdict("True", "Ready", self.reachable.message)
        failed = [v for v in verdicts if v.status == "False"] or [
            v for v in verdicts if v.status != "True"
        ]
        return Verdict("False", failed[0].reason, failed[0].message)


NOT_TRIED = "NotTried"


class _Deadline:
    """The time left of a probe, handed to each request as its timeout."""

    def __init__(self, seconds: float, cluster: str) -> None:
        self.seconds = seconds
        self._cluster = cluster
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0.01:
            raise ClusterTimeoutError(
                f"Cluster {self._cluster!r} did not answer in time.",
                cluster=self._cluster,
            )
        return left


class ClusterProber:
    """Probes the clusters that MayyamClusters describe."""

    def __init__(self, management: ApiClient, settings: OperatorSettings) -> None:
        self._management = management
        self._settings = settings

    def probe(self, cluster: Mapping[str, Any], *, timeout: float) -> ProbeResult:
        """Probe the cluster of one MayyamCluster object; this blocks."""
        try:
            secret = self.read_secret(cluster)
            client = build_cluster_client(
                cluster,
                secret,
                management_kubeconfig=self._settings.kubeconfig,
                service_account_dir=self._settings.service_account_dir,
            )
        except (CredentialsError, ConfigurationError) as e:
            return ProbeResult(
                credentials=Verdict("False", e.reason, e.message),
                reachable=Verdict("Unknown", NOT_TRIED, "There were no usable credentials."),
            )

        try:
            return self._ask(cluster, client, _Deadline(timeout, cluster_name(cluster)))
        finally:
            client.close()

    def read_secret(self, cluster: Mapping[str, Any]) -> V1Secret | None:
        """Read the Secret a MayyamCluster refers to; ``None`` if it is absent."""
        secret_name = secret_name_of(cluster)
        if secret_name is None:
            return None

        namespace = (cluster.get("metadata") or {}).get("namespace") or self._settings.namespace
        try:
            return call_cluster(
                MANAGEMENT_CLUSTER,
                CoreV1Api(self._management).read_namespaced_secret,
                secret_name,
                namespace,
                _request_timeout=self._settings.request_timeout,
            )
        except ClusterApiError as e:
            if e.status == 404:
                return None
            if e.status == 403:
                # The operator's own permissions: worth showing in the status.
                raise CredentialsError(
                    f"The operator may not read Secret {secret_name!r}: {e.message}",
                    reason="SecretForbidden",
                ) from e
            raise SecretUnreadableError(e.message) from e
        except ClusterAccessError as e:
            raise SecretUnreadableError(e.message) from e

    def _ask(
        self, cluster: Mapping[str, Any], client: ApiClient, deadline: _Deadline
    ) -> ProbeResult:
        name = cluster_name(cluster)
        try:
            version = _call(name, deadline, VersionApi(client).get_code)
            # The least the API needs; also proves that the credentials work,
            # which /version does not: anybody may read it.
            _call(name, deadline, CoreV1Api(client).list_namespace, limit=1)
        except ClusterAccessError as e:
            return _failure(cluster, e, deadline.seconds)

        git_version = str(version.git_version)
        return ProbeResult(
            credentials=Verdict("True", "Accepted", "The API server accepted the credentials."),
            reachable=Verdict(
                "True", "Connected", f"The API server answered with version {git_version}."
            ),
            kubernetes_version=git_version,
            node_count=_count_nodes(name, client, deadline),
        )


def _failure(cluster: Mapping[str, Any], error: ClusterAccessError, timeout: float) -> ProbeResult:
    """Tell a refusal of the credentials from a server that did not answer."""
    if isinstance(error, ClusterApiError) and error.status in (401, 403):
        return ProbeResult(
            credentials=Verdict("False", error.reason, refused_credentials(cluster, error)),
            reachable=Verdict("True", "Connected", "The API server answered."),
        )
    return ProbeResult(
        credentials=Verdict("Unknown", NOT_TRIED, "The API server did not answer."),
        reachable=Verdict("False", error.reason, advise(error, timeout)),
    )


def _count_nodes(name: str, client: ApiClient, deadline: _Deadline) -> int | None:
    """The number of nodes, or ``None`` if it cannot be known right now.

    One node is listed and the server says how many remain, so a cluster of
    thousands of nodes costs as little as one of three.
    """
    api = CoreV1Api(client)
    try:
        page = _call(name, deadline, api.list_node, limit=1)
        count = len(page.items)
        metadata = page.metadata or V1ListMeta()
        if metadata.remaining_item_count is not None:
            return count + int(metadata.remaining_item_count)

        # Servers need not count; then page through the rest.
        while metadata.var_continue:
            page = _call(name, deadline, api.list_node, limit=500, _continue=metadata.var_continue)
            count += len(page.items)
            metadata = page.metadata or V1ListMeta()
        return count
    except ClusterAccessError:
        return None


def _call(name: str, deadline: _Deadline, fn: Callable[..., T], /, **kwargs: Any) -> T:
    return call_cluster(name, fn, _request_timeout=deadline.remaining(), **kwargs)
