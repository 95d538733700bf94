"""Registering a workload cluster with Mayyam, the way a user does it.

On the workload cluster: a ServiceAccount with read-only rights and a token
for it. On the management cluster: the CRD, a Secret holding that token and
the workload cluster's CA, and a ``MayyamCluster`` naming both, all applied
with ``kubectl apply``.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from mayyamdev.clusters import Cluster

CRD = Path(__file__).resolve().parents[2] / "crds" / "mayyamclusters.mayyam.io.yaml"
ACCOUNT_NAMESPACE = "mayyam-access"


def install_crd(management: Cluster) -> None:
    management.kubectl("apply", "-f", str(CRD))
    management.kubectl(
        "wait", "--for=condition=Established", "--timeout=30s", "crd/mayyamclusters.mayyam.io"
    )


READ_NAMESPACES = [
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}
]

#: The example that tells users what Mayyam needs on a workload cluster.
WORKLOAD_ACCESS = Path(__file__).resolve().parents[2] / "deploy/examples/workload-access.yaml"


def workload_rules() -> list[dict]:
    """The rules of the example's ClusterRole: every right Mayyam's API uses."""
    documents = yaml.safe_load_all(WORKLOAD_ACCESS.read_text())
    return next(d for d in documents if d["kind"] == "ClusterRole")["rules"]


def create_service_account_token(
    workload: Cluster, account: str, rules: list[dict] | None = None
) -> str:
    """A ServiceAccount on ``workload`` with ``rules`` (default: read namespaces),
    bound cluster-wide; return a token for it."""
    workload.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ACCOUNT_NAMESPACE}},
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": account, "namespace": ACCOUNT_NAMESPACE},
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": f"{account}-reader"},
                "rules": rules or READ_NAMESPACES,
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{account}-reader"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": f"{account}-reader",
                },
                "subjects": [
                    {"kind": "ServiceAccount", "name": account, "namespace": ACCOUNT_NAMESPACE}
                ],
            },
        ]
    )
    token = workload.kubectl("create", "token", account, "-n", ACCOUNT_NAMESPACE, "--duration=24h")
    return token.strip()


def registration_manifests(
    name: str, namespace: str, server: str, token: str, ca_cert: bytes
) -> list[dict]:
    """The Secret and the MayyamCluster that register a cluster under ``name``."""
    secret = f"{name}-credentials"
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret, "namespace": namespace},
            "type": "Opaque",
            "data": {
                "token": base64.b64encode(token.encode()).decode(),
                "ca.crt": base64.b64encode(ca_cert).decode(),
            },
        },
        {
            "apiVersion": "mayyam.io/v1alpha1",
            "kind": "MayyamCluster",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"server": server, "credentials": {"secretRef": {"name": secret}}},
        },
    ]


def register(management: Cluster, workload: Cluster, name: str, namespace: str) -> None:
    """Register ``workload`` in ``management``'s ``namespace`` under ``name``,
    with the rights that every endpoint of the API needs."""
    install_crd(management)
    token = create_service_account_token(workload, f"mayyam-{name}", workload_rules())
    management.apply(
        registration_manifests(name, namespace, workload.server, token, workload.ca_cert)
    )
