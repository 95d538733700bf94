"""Probing a registered cluster: can Mayyam reach it with its credentials?

A probe reads the MayyamCluster's Secret from the management cluster, builds
the client the API would use, and asks the API server for its version. The
verdict is a `ProbeResult`, never an exception, for everything that is the
registered cluster's fault; trouble with the management cluster itself is
raised, so that kopf retries the handler later.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient, CoreV1Api, V1Secret, VersionApi

from mayyam.core.config import Settings
from mayyam.core.credentials import build_cluster_client, cluster_name, secret_name_of
from mayyam.core.errors import ClusterAccessError, ClusterApiError, CredentialsError
from mayyam.core.management import MANAGEMENT_CLUSTER
from mayyam.core.remote import call_cluster_in_thread


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe of one cluster."""

    ready: bool
    reason: str
    message: str
    kubernetes_version: str | None = None


class ClusterProber:
    """Probes the clusters that MayyamClusters describe."""

    def __init__(self, management: ApiClient, settings: Settings) -> None:
        self._management = management
        self._settings = settings

    async def probe(self, cluster: Mapping[str, Any]) -> ProbeResult:
        """Probe the cluster of one MayyamCluster object."""
        name = cluster_name(cluster)

        secret = await self._read_secret(cluster)
        try:
            client = build_cluster_client(
                cluster, secret, management_kubeconfig=self._settings.kubeconfig
            )
        except CredentialsError as e:
            return ProbeResult(ready=False, reason=e.reason, message=e.message)

        try:
            version = await call_cluster_in_thread(
                name, VersionApi(client).get_code, _request_timeout=self._settings.request_timeout
            )
        except ClusterAccessError as e:
            return ProbeResult(ready=False, reason=e.reason, message=e.message)
        finally:
            client.close()

        return ProbeResult(
            ready=True,
            reason="Connected",
            message=f"The API server answered with version {version.git_version}.",
            kubernetes_version=version.git_version,
        )

    async def _read_secret(self, cluster: Mapping[str, Any]) -> V1Secret | None:
        """Read the Secret a MayyamCluster refers to; ``None`` if it is absent."""
        secret_name = secret_name_of(cluster)
        if secret_name is None:
            return None

        namespace = (cluster.get("metadata") or {}).get("namespace") or self._settings.namespace
        try:
            return await call_cluster_in_thread(
                MANAGEMENT_CLUSTER,
                CoreV1Api(self._management).read_namespaced_secret,
                secret_name,
                namespace,
                _request_timeout=self._settings.request_timeout,
            )
        except ClusterApiError as e:
            if e.status == 404:
                return None
            raise
