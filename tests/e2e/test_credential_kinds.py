"""Every kind of credentials a user brings makes a real cluster Ready."""

from __future__ import annotations

import json

import pytest
import yaml

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product
from tests.e2e.helpers import (
    FAST_OPERATOR,
    READ_NAMESPACES,
    READ_NODES,
    client_certificate,
    condition_of,
    grant,
    register,
    service_account_token,
    status_managers,
    wait_for_condition,
)


def _version(cluster: Cluster) -> str:
    return json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]["gitVersion"]


def _needs_local(cluster: Cluster) -> None:
    if cluster.local is None:
        pytest.skip("needs a local cluster, whose CA and processes the test controls")


def test_a_service_account_token_with_limited_rights_makes_the_cluster_ready(
    management, workload, operating, make_namespace
) -> None:
    token = service_account_token(workload, make_namespace(workload), READ_NAMESPACES)

    register(
        management,
        operating.namespace,
        "by-token",
        {"token": token, "ca.crt": workload.ca_cert},
        {"server": workload.server, "displayName": "The workload cluster"},
    )
    obj = wait_for_condition(management, operating.namespace, "by-token", "Ready", "True")

    for kind in ("CredentialsValid", "Reachable", "Ready"):
        found = condition_of(obj, kind)
        assert found["status"] == "True", found
        assert found["observedGeneration"] == obj["metadata"]["generation"]
    assert obj["status"]["kubernetesVersion"] == _version(workload)
    # This token may not list nodes: the count is left out, not guessed.
    assert "nodeCount" not in obj["status"]
    assert not obj["metadata"].get("finalizers")


def test_a_client_certificate_signed_by_the_cluster_ca_makes_the_cluster_ready(
    management, workload, operating
) -> None:
    _needs_local(workload)
    cert, key = client_certificate(workload, READ_NAMESPACES + READ_NODES)

    register(
        management,
        operating.namespace,
        "by-certificate",
        {"tls.crt": cert, "tls.key": key, "ca.crt": workload.ca_cert},
        {"server": workload.server},
    )
    obj = wait_for_condition(management, operating.namespace, "by-certificate", "Ready", "True")

    nodes = workload.kubectl_json("get", "nodes")["items"]
    assert obj["status"]["nodeCount"] == len(nodes)


def test_a_kubeconfig_makes_the_cluster_ready_with_the_context_the_spec_names(
    management, workload, operating
) -> None:
    # The workload's own kubeconfig, plus a broken context that is current.
    config = yaml.safe_load(workload.kubeconfig.read_text())
    good = config["current-context"]
    config["clusters"].append({"name": "broken", "cluster": {"server": "https://127.0.0.1:1"}})
    config["contexts"].append(
        {"name": "broken", "context": {"cluster": "broken", "user": config["users"][0]["name"]}}
    )
    config["current-context"] = "broken"

    register(
        management,
        operating.namespace,
        "by-kubeconfig",
        {"kubeconfig": json.dumps(config)},
        {"credentials": {"context": good}},
    )
    obj = wait_for_condition(management, operating.namespace, "by-kubeconfig", "Ready", "True")

    assert obj["status"]["kubernetesVersion"] == _version(workload)
    assert "server" not in obj["spec"]


def test_tls_server_name_is_the_name_the_certificate_must_carry(
    management, workload, operating, make_namespace
) -> None:
    token = service_account_token(workload, make_namespace(workload), READ_NAMESPACES)
    data = {"token": token, "ca.crt": workload.ca_cert}
    # The API server's certificate names kubernetes.default.svc, not "elsewhere".
    spec = {"server": workload.server, "tls": {"serverName": "kubernetes.default.svc"}}

    register(management, operating.namespace, "by-name", data, spec)
    wait_for_condition(management, operating.namespace, "by-name", "Ready", "True")
    register(
        management,
        operating.namespace,
        "by-name",
        data,
        {**spec, "tls": {"serverName": "elsewhere"}},
    )
    obj = wait_for_condition(
        management, operating.namespace, "by-name", "Reachable", "False", "TLSVerificationFailed"
    )

    assert condition_of(obj, "Ready")["observedGeneration"] == 2
    assert "elsewhere" in condition_of(obj, "Reachable")["message"]


def test_insecure_skip_verify_needs_no_ca(management, workload, operating, make_namespace) -> None:
    token = service_account_token(workload, make_namespace(workload), READ_NAMESPACES)

    register(
        management,
        operating.namespace,
        "insecure",
        {"token": token},
        {"server": workload.server, "tls": {"insecureSkipVerify": True}},
    )

    wait_for_condition(management, operating.namespace, "insecure", "Ready", "True")


#: What the operator needs in its namespace of the management cluster.
OPERATOR_RULES = [
    {
        "apiGroups": ["mayyam.io"],
        "resources": ["mayyamclusters"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {"apiGroups": ["mayyam.io"], "resources": ["mayyamclusters/status"], "verbs": ["get", "patch"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update"],
    },
]

#: What it needs across the cluster, only to probe the management cluster
#: itself: kopf watches its one namespace and no more.
OPERATOR_CLUSTER_RULES = [
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]},
]


def _operator_service_account(management: Cluster, namespace: str, directory) -> str:
    """A ServiceAccount with the operator's rights, mounted as a Pod would have it."""
    management.kubectl("create", "serviceaccount", "mayyam-operator", "-n", namespace)
    management.apply(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "mayyam-operator", "namespace": namespace},
                "rules": OPERATOR_RULES,
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "mayyam-operator", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "mayyam-operator",
                },
                "subjects": [
                    {"kind": "ServiceAccount", "name": "mayyam-operator", "namespace": namespace}
                ],
            },
        ]
    )
    token = management.kubectl("create", "token", "mayyam-operator", "-n", namespace)
    directory.mkdir()
    (directory / "token").write_text(token.strip())
    (directory / "ca.crt").write_bytes(management.ca_cert)
    (directory / "namespace").write_text(namespace)
    return f"system:serviceaccount:{namespace}:mayyam-operator"


def test_in_cluster_uses_the_service_account_of_the_operators_pod(
    management: Cluster, product: Product, tmp_path
) -> None:
    """The operator runs as a Pod would: no kubeconfig, the Service's address in
    KUBERNETES_SERVICE_HOST/PORT and a ServiceAccount's token and CA in files."""
    account = _operator_service_account(management, product.namespace, tmp_path / "sa")
    grant(
        management,
        f"{product.namespace}-probe",
        {"kind": "User", "name": account, "apiGroup": "rbac.authorization.k8s.io"},
        OPERATOR_CLUSTER_RULES,
    )
    host, port = management.server.removeprefix("https://").rsplit(":", 1)
    operator = product.start_operator(
        env={
            **FAST_OPERATOR,
            "MAYYAM_KUBECONFIG": "",
            "KUBECONFIG": "",
            "KUBERNETES_SERVICE_HOST": host,
            "KUBERNETES_SERVICE_PORT": port,
            "MAYYAM_SERVICE_ACCOUNT_DIR": str(tmp_path / "sa"),
        }
    )

    register(management, product.namespace, "itself", None, {"inCluster": True})
    obj = wait_for_condition(management, product.namespace, "itself", "Ready", "True")

    nodes = management.kubectl_json("get", "nodes")["items"]
    assert obj["status"]["nodeCount"] == len(nodes)
    assert obj["status"]["kubernetesVersion"] == _version(management)
    [manager] = status_managers(management, product.namespace, "itself")
    assert manager.startswith("mayyam-operator/")
    # The rights above are all the operator needs: it was refused nothing.
    assert "forbidden" not in operator.log_path.read_text().lower()
