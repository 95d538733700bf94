"""The registered clusters, and one client for each, kept in memory.

The registry holds the MayyamCluster objects and the Secrets of the watched
namespace as `ClusterWatcher` last saw them. A cluster's client is built the
first time a request needs it and then reused until the resourceVersion of
its MayyamCluster or of its Secret changes; a failure to build it is kept
the same way, so a broken cluster costs no work per request either.

All methods are safe to call from several threads: the watcher feeds the
registry from its threads while requests read it from theirs.
"""

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient, V1Secret

from mayyam.api.errors import ClusterNotFoundError, NotReadyError
from mayyam.core.credentials import cluster_name, secret_name_of
from mayyam.core.errors import CredentialsError

logger = logging.getLogger(__name__)

#: Builds a cluster's client from its MayyamCluster and Secret (or ``None``).
ClientBuilder = Callable[[Mapping[str, Any], V1Secret | None], ApiClient]

#: The resourceVersions a client was built from: MayyamCluster, Secret.
_Versions = tuple[str | None, str | None]


@dataclass
class _Built:
    versions: _Versions
    client: ApiClient | None = None
    error: CredentialsError | None = None


class ClusterRegistry:
    """MayyamClusters and Secrets by name, and the clients built from them."""

    def __init__(self, build_client: ClientBuilder) -> None:
        self._build_client = build_client
        self._lock = threading.Lock()
        self._clusters: dict[str, Mapping[str, Any]] = {}
        self._secrets: dict[str, V1Secret] = {}
        self._built: dict[str, _Built] = {}
        self._synced: set[str] = set()

    @property
    def ready(self) -> bool:
        """Whether both MayyamClusters and Secrets have been listed once."""
        with self._lock:
            return self._synced >= {"clusters", "secrets"}

    def cluster_names(self) -> list[str]:
        """The names of the registered clusters, sorted."""
        with self._lock:
            return sorted(self._clusters)

    def cluster_objects(self) -> list[Mapping[str, Any]]:
        """The registered MayyamCluster objects, sorted by name."""
        with self._lock:
            self._check_synced()
            return [self._clusters[name] for name in sorted(self._clusters)]

    def cluster_object(self, name: str) -> Mapping[str, Any]:
        """One registered MayyamCluster object; raise `ClusterNotFoundError`."""
        with self._lock:
            self._check_synced()
            return self._registered(name)

    def replace_clusters(self, clusters: Iterable[Mapping[str, Any]]) -> None:
        """Forget all MayyamClusters and hold these (a fresh list)."""
        with self._lock:
            self._clusters = {cluster_name(c): c for c in clusters}
            for name in set(self._built) - set(self._clusters):
                self._discard(name)
            self._synced.add("clusters")

    def put_cluster(self, cluster: Mapping[str, Any]) -> None:
        """Add or update one MayyamCluster."""
        with self._lock:
            self._clusters[cluster_name(cluster)] = cluster

    def remove_cluster(self, name: str) -> None:
        """Forget one MayyamCluster and close its client."""
        with self._lock:
            self._clusters.pop(name, None)
            self._discard(name)

    def replace_secrets(self, secrets: Iterable[V1Secret]) -> None:
        """Forget all Secrets and hold these (a fresh list)."""
        with self._lock:
            self._secrets = {_secret_name(s): s for s in secrets}
            self._synced.add("secrets")

    def put_secret(self, secret: V1Secret) -> None:
        """Add or update one Secret."""
        with self._lock:
            self._secrets[_secret_name(secret)] = secret

    def remove_secret(self, name: str) -> None:
        """Forget one Secret; clients built from it are rebuilt when next used."""
        with self._lock:
            self._secrets.pop(name, None)

    def client_for(self, name: str) -> ApiClient:
        """The client of a registered cluster, built if it is new or changed.

        Raises `ClusterNotFoundError` for an unknown name, `NotReadyError`
        before the first lists arrived, and `CredentialsError` when the
        cluster's objects cannot make a client.
        """
        with self._lock:
            self._check_synced()
            cluster = self._registered(name)

            secret = self._secrets.get(secret_name_of(cluster) or "")
            versions = (_resource_version(cluster), _secret_version(secret))
            built = self._built.get(name)
            if built is None or built.versions != versions:
                self._discard(name)
                built = self._build(name, cluster, secret, versions)
                self._built[name] = built

        if built.error is not None:
            raise built.error
        assert built.client is not None
        return built.client

    def built_client(self, name: str) -> ApiClient | None:
        """The client of a cluster if it is built and current, without waiting.

        Returns ``None`` when `client_for` has work to do (build, rebuild,
        raise) or another thread holds the registry, so that the event loop
        can call this and leave everything else to a worker thread.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            cluster = self._clusters.get(name)
            built = self._built.get(name)
            if cluster is None or built is None or built.client is None:
                return None
            secret = self._secrets.get(secret_name_of(cluster) or "")
            if built.versions != (_resource_version(cluster), _secret_version(secret)):
                return None
            return built.client
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close every client built so far."""
        with self._lock:
            for name in list(self._built):
                self._discard(name)

    def _build(
        self,
        name: str,
        cluster: Mapping[str, Any],
        secret: V1Secret | None,
        versions: _Versions,
    ) -> _Built:
        logger.info("Building the client of cluster %r.", name)
        try:
            return _Built(versions, client=self._build_client(cluster, secret))
        except CredentialsError as e:
            logger.warning("Cluster %r cannot be used (%s): %s", name, e.reason, e.message)
            return _Built(versions, error=e)

    def _check_synced(self) -> None:
        if not self._synced >= {"clusters", "secrets"}:
            raise NotReadyError("The registered clusters are still being loaded.")

    def _registered(self, name: str) -> Mapping[str, Any]:
        cluster = self._clusters.get(name)
        if cluster is None:
            raise ClusterNotFoundError(f"No cluster named {name!r} is registered.")
        return cluster

    def _discard(self, name: str) -> None:
        """Drop the client of a cluster; the caller holds the lock."""
        built = self._built.pop(name, None)
        if built is not None and built.client is not None:
            built.client.close()


def _resource_version(cluster: Mapping[str, Any]) -> str | None:
    version = (cluster.get("metadata") or {}).get("resourceVersion")
    return str(version) if version is not None else None


def _secret_name(secret: V1Secret) -> str:
    return str(secret.metadata.name) if secret.metadata is not None else ""


def _secret_version(secret: V1Secret | None) -> str | None:
    if secret is None or secret.metadata is None:
        return None
    version = secret.metadata.resource_version
    return str(version) if version is not None else None
