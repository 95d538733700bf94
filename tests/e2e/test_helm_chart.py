"""Mayyam from its own image, installed with its Helm chart, on a real cluster.

The image is built from the repository's Dockerfile and imported into the
management cluster's node; the chart is installed with it, a cluster is
registered with ``kubectl apply`` and served through the API's Service; an
upgrade keeps the JWT secret; an uninstall leaves nothing but the CRD.

The tests of this module share one release and run in their order.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mayyamdev.chart import CHART, HelmError, helm, values_file
from mayyamdev.clusters import Cluster
from mayyamdev.image import build_image
from mayyamdev.registration import create_service_account_token, registration_manifests
from tests.e2e.helpers import Concealed, wait_for
from tests.e2e.manifests import busybox_pod

RELEASE = "mayyam"
CRD = "mayyamclusters.mayyam.io"
INSTANCE = f"app.kubernetes.io/instance={RELEASE}"


@dataclass
class Release:
    """One installed release: where it is, how it was installed, what it printed."""

    namespace: str
    values: Path
    notes: str

    @property
    def api(self) -> str:
        return f"{RELEASE}-api"


@pytest.fixture(scope="module")
def image(management: Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Mayyam's image, built from the Dockerfile and imported into the node."""
    if management.local is None or management.local.node is None:
        pytest.skip("the image is imported into a local cluster's node")
    built = build_image(tmp_path_factory.mktemp("image"))
    management.local.node.import_image(built.archive)
    # The node holds it now; the archive is large and of no further use.
    built.archive.unlink()
    return built.reference


@pytest.fixture(scope="module")
def release(
    management: Cluster, image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    """The chart installed in a namespace of its own, waited for; removed at the end."""
    namespace = f"e2e-helm-{secrets.token_hex(3)}"
    management.kubectl("create", "namespace", namespace)
    repository, tag = image.rsplit(":", 1)
    values = {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "Never"},
        "logging": {"level": "debug"},
        "operator": {
            "probe": {"intervalSeconds": 2, "timeoutSeconds": 2, "backoffLimitSeconds": 4}
        },
        "inCluster": {"enabled": True},
        "networkPolicy": {"enabled": True},
    }
    path = values_file(values, tmp_path_factory.mktemp("values"))
    try:
        yield Release(namespace, path, _install(management, namespace, path))
    finally:
        _helm(management, "uninstall", RELEASE, f"--namespace={namespace}", "--ignore-not-found")
        management.kubectl("delete", "namespace", namespace, "--wait=false")


def _helm(cluster: Cluster, *args: str) -> str:
    return helm(*args, kubeconfig=cluster.kubeconfig)


def _install(management: Cluster, namespace: str, values: Path) -> str:
    """Install the chart and wait for it; return what helm printed (the notes)."""
    try:
        return _helm(
            management,
            "install",
            RELEASE,
            str(CHART),
            f"--namespace={namespace}",
            f"--values={values}",
            "--wait",
            "--timeout=5m",
        )
    except HelmError as e:
        pods = management.kubectl("get", "pods", "-n", namespace, "-o", "wide")
        events = management.kubectl("get", "events", "-n", namespace, "--sort-by=.lastTimestamp")
        pytest.fail(f"{e}\n{pods}\n{events}")


def _secret_data(management: Cluster, release: Release) -> dict[str, str]:
    return management.kubectl_json("get", "-n", release.namespace, f"secret/{RELEASE}-jwt")["data"]


def _token_as_the_notes_say(management: Cluster, release: Release) -> Concealed:
    """Run the command NOTES.txt gives for a token, against this cluster."""
    match = re.search(r"\$\((kubectl [^)]*mayyam token[^)]*)\)", release.notes)
    assert match, f"NOTES.txt gives no token command:\n{release.notes}"
    argv = shlex.split(match.group(1))
    return Concealed(management.kubectl(*argv[1:]).strip())


def _get_through_the_service(
    management: Cluster, release: Release, path: str, token: Concealed
) -> dict:
    """GET ``path`` from the API's ClusterIP, from a pod, as a client in the cluster would."""
    address = management.kubectl(
        "get",
        "-n",
        release.namespace,
        f"service/{release.api}",
        "-o",
        "jsonpath={.spec.clusterIP}:{.spec.ports[0].port}",
    )
    client = f"client-{secrets.token_hex(3)}"
    pod = busybox_pod(management, client, ["sleep", "3600"])
    management.kubectl("apply", "-n", release.namespace, "-f", "-", input=json.dumps(pod))
    management.kubectl(
        "wait", "-n", release.namespace, "--for=condition=Ready", f"pod/{client}", "--timeout=60s"
    )
    # The token goes in on stdin: neither the command line nor an error shows it.
    script = (
        'read -r token; wget -q -O - --header "Authorization: Bearer $token" '
        f"http://{address}{path}"
    )
    try:
        body = management.kubectl(
            "exec", "-i", "-n", release.namespace, client, "--", "sh", "-c", script, input=token
        )
    finally:
        management.kubectl("delete", "-n", release.namespace, "pod", client, "--wait=false")
    return json.loads(body)


def test_every_pod_of_the_release_becomes_ready(management: Cluster, release: Release) -> None:
    pods = management.kubectl_json("get", "pods", "-n", release.namespace, "-l", INSTANCE)["items"]

    components = sorted(p["metadata"]["labels"]["app.kubernetes.io/component"] for p in pods)
    assert components == ["api", "api", "operator"]
    for pod in pods:
        ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", pod["metadata"]["name"]
        assert pod["spec"]["containers"][0]["image"].startswith("localhost/mayyam/mayyam:")


def test_a_cluster_registered_with_kubectl_apply_is_served_through_the_service(
    management: Cluster, workload: Cluster, release: Release
) -> None:
    marker = f"e2e-seen-{secrets.token_hex(3)}"
    workload.kubectl("create", "namespace", marker)
    token = create_service_account_token(workload, f"mayyam-helm-{secrets.token_hex(3)}")
    server = workload.pod_server or workload.server
    try:
        management.apply(
            registration_manifests("workload", release.namespace, server, token, workload.ca_cert)
        )
        management.kubectl(
            "wait",
            "-n",
            release.namespace,
            "--for=condition=Ready",
            "--timeout=90s",
            "mayyamcluster/workload",
        )
        api_token = _token_as_the_notes_say(management, release)
        listed = _get_through_the_service(
            management, release, "/api/kubernetes/clusters/workload/namespaces", api_token
        )
    finally:
        workload.kubectl("delete", "namespace", marker, "--wait=false")

    assert {marker, "kube-system", "default"} <= {n["name"] for n in listed}


def test_the_management_cluster_the_chart_registers_becomes_ready(
    management: Cluster, release: Release
) -> None:
    management.kubectl(
        "wait",
        "-n",
        release.namespace,
        "--for=condition=Ready",
        "--timeout=90s",
        "mayyamcluster/management",
    )
    status = management.kubectl_json("get", "-n", release.namespace, "mayyamcluster/management")[
        "status"
    ]

    assert status["nodeCount"] == len(management.kubectl_json("get", "nodes")["items"])


def test_the_components_are_refused_nothing_by_the_rights_the_chart_gives(
    management: Cluster, release: Release
) -> None:
    # Wait for a probe of every cluster, so that every right has been used.
    management.kubectl(
        "wait",
        "-n",
        release.namespace,
        "--for=condition=Ready",
        "--timeout=90s",
        "mayyamclusters",
        "--all",
    )
    logs = management.kubectl(
        "logs", "-n", release.namespace, "-l", INSTANCE, "--tail=-1", "--prefix"
    )

    assert "operator" in logs and "api" in logs
    # The Kubernetes API answers a missing right with 403 Forbidden.
    assert "forbidden" not in logs.lower()


def test_an_upgrade_keeps_the_jwt_secret_so_tokens_stay_valid(
    management: Cluster, release: Release
) -> None:
    before = _secret_data(management, release)
    token = _token_as_the_notes_say(management, release)

    # A new annotation rolls out new API pods, which must accept the old token.
    _helm(
        management,
        "upgrade",
        RELEASE,
        str(CHART),
        f"--namespace={release.namespace}",
        f"--values={release.values}",
        f"--set-string=api.podAnnotations.rolled={time.time_ns()}",
        "--wait",
        "--timeout=5m",
    )
    management.kubectl(
        "rollout", "status", "-n", release.namespace, f"deployment/{release.api}", "--timeout=120s"
    )
    listed = _get_through_the_service(
        management, release, "/api/kubernetes/clusters/management/namespaces", token
    )

    assert _secret_data(management, release) == before
    assert len(base64.b64decode(before["jwt-secret"])) == 64
    assert release.namespace in {n["name"] for n in listed}


def test_uninstall_leaves_nothing_but_the_crd(management: Cluster, release: Release) -> None:
    _helm(management, "uninstall", RELEASE, f"--namespace={release.namespace}", "--wait")

    kinds = management.kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name")
    listable = ",".join(k for k in kinds.split() if k not in {"events", "events.events.k8s.io"})
    wait_for(
        lambda: (
            not management.kubectl(
                "get", listable, "-n", release.namespace, "-l", INSTANCE, "-o", "name"
            )
        ),
        60,
        "the release's objects to be gone",
    )
    cluster_wide = management.kubectl(
        "get", "clusterroles,clusterrolebindings", "-l", INSTANCE, "-o", "name"
    )
    leases = management.kubectl("get", "leases", "-n", release.namespace, "-o", "name")
    history = management.kubectl(
        "get", "secrets", "-n", release.namespace, "-l", "owner=helm", "-o", "name"
    )

    assert cluster_wide == ""
    assert leases == "" and history == ""
    assert management.kubectl("get", "crd", CRD, "-o", "jsonpath={.metadata.name}") == CRD
