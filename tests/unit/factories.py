"""MayyamCluster and Secret objects for the unit tests."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes.client import V1ObjectMeta, V1Secret

NAMESPACE = "mayyam"
JWT_SECRET = "a-secret-for-unit-tests-only-" * 3
CLUSTER_TOKEN = "remote-cluster-token-value"


def make_cluster(
    name: str = "fake",
    server: str = "https://127.0.0.1:6443",
    secret: str = "fake-credentials",
    resource_version: str = "1",
) -> dict[str, Any]:
    """A MayyamCluster object as the API server returns it."""
    return {
        "apiVersion": "mayyam.io/v1alpha1",
        "kind": "MayyamCluster",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "resourceVersion": resource_version,
            "generation": 1,
        },
        "spec": {"server": server, "credentials": {"secretRef": {"name": secret}}},
    }


def make_secret(
    data: dict[str, str], name: str = "fake-credentials", resource_version: str = "1"
) -> V1Secret:
    """A Secret as the Kubernetes client returns it: values base64-encoded."""
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return V1Secret(
        metadata=V1ObjectMeta(name=name, namespace=NAMESPACE, resource_version=resource_version),
        data=encoded,
    )
