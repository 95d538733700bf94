"""A namespace of its own on one of the clusters the API serves, for the tests of
namespaced endpoints: where it is, and kubectl and API paths into it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mayyamdev.clusters import Cluster
from tests.e2e.conftest import ServedClusters

#: The names under which the ``served`` fixture registers the two clusters.
SERVED = ("local", "remote")


@dataclass
class ServedNamespace:
    """A fresh namespace on the cluster registered as ``cluster_id``."""

    served: ServedClusters
    cluster_id: str
    cluster: Cluster
    name: str

    def path(self, resource: str, name: str = "") -> str:
        """The API path of a resource of this namespace (or of one object)."""
        base = f"/clusters/{self.cluster_id}/namespaces/{self.name}/{resource}"
        return f"{base}/{name}" if name else base

    def api(self, *roles: str, clusters: list[str] | None = None) -> httpx.Client:
        return self.served.client(*roles, clusters=clusters)

    def kubectl(self, *args: str, input: str | None = None) -> str:
        return self.cluster.kubectl("-n", self.name, *args, input=input)

    def get(self, kind: str, name: str) -> dict | None:
        """The object as kubectl sees it, or None when it does not exist."""
        found = self.kubectl("get", kind, name, "--ignore-not-found", "-o", "json")
        return json.loads(found) if found.strip() else None

    def apply(self, manifest: dict) -> None:
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def served_namespace(
    served: ServedClusters,
    cluster_id: str,
    management: Cluster,
    workload: Cluster,
    make_namespace: Callable[[Cluster], str],
) -> ServedNamespace:
    """A new namespace on the cluster ``served`` registers as ``cluster_id``."""
    cluster = management if cluster_id == "local" else workload
    return ServedNamespace(served, cluster_id, cluster, make_namespace(cluster))


def b64(value: str | bytes) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
