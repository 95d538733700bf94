"""What the operator's end-to-end tests share: identities with chosen rights
on a cluster, the manifests that register it, and waiting for conditions."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mayyamdev.clusters import Cluster
from mayyamdev.product import Product
from mayyamdev.registration import install_crd

#: Settings that make the operator quick enough to test: the schema allows
#: no interval under 10 s, the operator's own default may be shorter.
FAST_OPERATOR = {
    "MAYYAM_PROBE_INTERVAL_SECONDS": "2",
    "MAYYAM_PROBE_TIMEOUT_SECONDS": "2",
    "MAYYAM_PROBE_BACKOFF_LIMIT_SECONDS": "4",
    "MAYYAM_LEASE_DURATION_SECONDS": "3",
    "MAYYAM_LOG_LEVEL": "debug",
}

#: How long a freshly started operator may take to act: Python imports the
#: Kubernetes client and kopf first, which takes seconds on a busy machine.
OPERATOR_START = 30

READ_NAMESPACES = [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]}]
READ_NODES = [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}]


class Concealed(str):
    """Text, such as a token, whose repr hides it: a failing test's traceback
    shows the arguments of its calls, and must not show this."""

    def __repr__(self) -> str:
        return "'<concealed>'"


def start_product(management: Cluster, namespace: str, logs: Path) -> Product:
    install_crd(management)
    return Product(management.kubeconfig, namespace, logs, "unused-" * 8)


def grant(cluster: Cluster, name: str, subject: dict, rules: list[dict]) -> None:
    """Bind a ClusterRole of ``rules`` to ``subject`` (nothing when no rules)."""
    if not rules:
        return
    cluster.apply(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": name},
                "rules": rules,
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": name,
                },
                "subjects": [subject],
            },
        ]
    )


def service_account_token(cluster: Cluster, namespace: str, rules: list[dict]) -> str:
    """A token of a new ServiceAccount in ``namespace`` that may do ``rules``."""
    account = f"probe-{secrets.token_hex(3)}"
    cluster.kubectl("create", "serviceaccount", account, "-n", namespace)
    subject = {"kind": "ServiceAccount", "name": account, "namespace": namespace}
    grant(cluster, f"{namespace}-{account}", subject, rules)
    return cluster.kubectl("create", "token", account, "-n", namespace, "--duration=1h").strip()


def client_certificate(cluster: Cluster, rules: list[dict]) -> tuple[str, str]:
    """A client certificate signed by the cluster's CA, and its key, as PEM."""
    user = f"mayyam-e2e-{secrets.token_hex(3)}"
    pair = cluster.local.control_plane.ca.issue(user, user)
    grant(
        cluster,
        user,
        {"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"},
        rules,
    )
    return pair.cert.read_text(), pair.key.read_text()


def b64(value: str | bytes) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def secret(name: str, data: dict[str, str | bytes]) -> dict:
    encoded = {key: b64(value) for key, value in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": encoded}


def mayyam_cluster(name: str, spec: dict) -> dict:
    return {
        "apiVersion": "mayyam.io/v1alpha1",
        "kind": "MayyamCluster",
        "metadata": {"name": name},
        "spec": spec,
    }


def register(
    management: Cluster,
    namespace: str,
    name: str,
    data: dict[str, str | bytes] | None,
    spec: dict,
) -> None:
    """Apply a Secret ``<name>-credentials`` (unless ``data`` is None) and a
    MayyamCluster that refers to it."""
    manifests = []
    if data is not None:
        manifests.append(secret(f"{name}-credentials", data))
    if not spec.get("inCluster"):
        spec = {
            **spec,
            "credentials": {
                "secretRef": {"name": f"{name}-credentials"},
                **spec.get("credentials", {}),
            },
        }
    manifests.append(mayyam_cluster(name, spec))
    management.kubectl(
        "apply", "-n", namespace, "-f", "-", input="\n---\n".join(json.dumps(m) for m in manifests)
    )


def get_cluster(management: Cluster, namespace: str, name: str) -> dict:
    return management.kubectl_json("get", "-n", namespace, f"mayyamcluster/{name}")


def status_managers(management: Cluster, namespace: str, name: str) -> set[str]:
    """The field managers that own fields of a MayyamCluster's status."""
    obj = management.kubectl_json(
        "get", "-n", namespace, f"mayyamcluster/{name}", "--show-managed-fields"
    )
    return {
        entry["manager"]
        for entry in obj["metadata"].get("managedFields", [])
        if entry.get("subresource") == "status"
    }


def last_prober(management: Cluster, namespace: str, name: str) -> str | None:
    """The field manager that wrote ``status.lastProbeTime`` last: it changes
    with every probe, so its owner is the replica that probes."""
    obj = management.kubectl_json(
        "get", "-n", namespace, f"mayyamcluster/{name}", "--show-managed-fields"
    )
    for entry in obj["metadata"].get("managedFields", []):
        if "f:lastProbeTime" in (entry.get("fieldsV1") or {}).get("f:status", {}):
            return entry["manager"]
    return None


def condition_of(obj: dict, condition_type: str) -> dict:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == condition_type), {})


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.3) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")


def wait_for_condition(
    management: Cluster,
    namespace: str,
    name: str,
    condition_type: str,
    status: str,
    reason: str | None = None,
    timeout: float = 60,
) -> dict:
    """Wait until a condition has ``status`` (and ``reason``); return the object."""

    def reached() -> dict | None:
        obj = get_cluster(management, namespace, name)
        found = condition_of(obj, condition_type)
        if found.get("status") == status and reason in (None, found.get("reason")):
            return obj
        return None

    try:
        return wait_for(reached, timeout, f"{condition_type}={status} ({reason}) of {name}")
    except AssertionError as e:
        status_now = get_cluster(management, namespace, name).get("status")
        raise AssertionError(f"{e}\nstatus: {json.dumps(status_now, indent=1)}") from None
