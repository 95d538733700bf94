"""The benchmark's cluster, data and Mayyam installation."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product, new_jwt_secret
from mayyamdev.registration import (
    create_service_account_token,
    install_crd,
    registration_manifests,
)

NAMESPACE = "mayyam"
DATA = "bench-data"
CONFIGMAPS = 100
RULES = [
    {
        "apiGroups": [""],
        "resources": ["namespaces", "configmaps", "pods", "events"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]},
]


@dataclass
class Installation:
    cluster: Cluster
    product: Product
    token: str  # the ServiceAccount token Mayyam uses, for the direct calls
    jwt: str  # Mayyam's own bearer token
    ca_file: Path

    def api(self, cluster_id: str = "local") -> str:
        return f"{self.product.api_url}/api/kubernetes/clusters/{cluster_id}"


def _register(cluster: Cluster, name: str, token: str) -> list[dict]:
    return registration_manifests(name, NAMESPACE, cluster.server, token, cluster.ca_cert)


def install(cluster: Cluster) -> Installation:
    """Register the cluster with itself, fill it with data, start Mayyam."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": DATA}})
    install_crd(cluster)
    token = create_service_account_token(cluster, "mayyam-bench", RULES)
    cluster.apply(_register(cluster, "local", token))

    # 100 ConfigMaps of about 1 KiB each, and a pod to exec into.
    cluster.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"settings-{i:03d}", "namespace": DATA},
                "data": {"app.properties": f"key{i}=" + "x" * 1000},
            }
            for i in range(CONFIGMAPS)
        ]
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shell", "namespace": DATA},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "main",
                    "image": cluster.workload_image,
                    "imagePullPolicy": cluster.image_pull_policy,
                    "command": ["sleep", "86400"],
                }
            ],
        },
    }
    cluster.apply(pod)
    cluster.kubectl("wait", "-n", DATA, "--for=condition=Ready", "pod/shell", "--timeout=60s")

    work = Path(tempfile.mkdtemp(prefix="mayyam-bench-"))
    ca_file = work / "ca.crt"
    ca_file.write_bytes(cluster.ca_cert)
    product = Product(cluster.kubeconfig, NAMESPACE, work, new_jwt_secret())
    product.start_operator()
    cluster.kubectl(
        "wait", "-n", NAMESPACE, "--for=condition=Ready", "--timeout=60s", "mayyamcluster/local"
    )
    product.start_api()
    jwt = product.token("bench", "viewer,editor,admin")
    return Installation(cluster, product, token, jwt, ca_file)


def register_many(installation: Installation, count: int) -> list[str]:
    """Register the same cluster ``count`` more times, each with its own Secret."""
    names = [f"fleet-{i:03d}" for i in range(count)]
    manifests = [m for n in names for m in _register(installation.cluster, n, installation.token)]
    installation.cluster.kubectl(
        "apply", "-f", "-", input="\n---\n".join(json.dumps(m) for m in manifests)
    )
    return names


def ready_names(cluster: Cluster) -> set[str]:
    """The MayyamClusters whose Ready condition is True."""
    listed = cluster.kubectl_json("get", "mayyamclusters", "-n", NAMESPACE)["items"]
    return {
        item["metadata"]["name"]
        for item in listed
        for c in item.get("status", {}).get("conditions", [])
        if c["type"] == "Ready" and c["status"] == "True"
    }
