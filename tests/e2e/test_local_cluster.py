"""The clusters the other end-to-end tests rely on behave like real Kubernetes."""

from __future__ import annotations

import json

import pytest

from mayyamdev.clusters import Cluster
from tests.e2e.manifests import busybox_pod


def test_the_node_becomes_ready(management: Cluster) -> None:
    nodes = management.kubectl_json("get", "nodes")["items"]

    assert nodes, "the management cluster has no node"
    for node in nodes:
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", node["metadata"]["name"]


def test_a_busybox_pod_runs_and_exec_prints_what_was_echoed(management, make_namespace) -> None:
    namespace = make_namespace(management)
    pod = busybox_pod(management, "echo", ["sleep", "3600"])
    management.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pod))

    management.kubectl(
        "wait", "-n", namespace, "--for=condition=Ready", "pod/echo", "--timeout=60s"
    )
    phase = management.kubectl("get", "-n", namespace, "pod/echo", "-o", "jsonpath={.status.phase}")
    output = management.kubectl("exec", "-n", namespace, "echo", "--", "echo", "hello from a pod")

    assert phase == "Running"
    assert output == "hello from a pod\n"


def test_a_deployment_of_two_replicas_becomes_available(management, make_namespace) -> None:
    namespace = make_namespace(management)
    template = busybox_pod(management, "web", ["sleep", "3600"])
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": template["spec"]},
        },
    }
    management.apply(deployment)

    management.kubectl(
        "wait", "-n", namespace, "--for=condition=Available", "deployment/web", "--timeout=90s"
    )
    status = management.kubectl_json("get", "-n", namespace, "deployment/web")["status"]

    assert status["availableReplicas"] == 2
    assert status["readyReplicas"] == 2


def test_a_namespace_deletion_completes(management) -> None:
    management.kubectl("create", "namespace", "e2e-doomed")
    pod = busybox_pod(management, "tenant", ["sleep", "3600"])
    management.kubectl("apply", "-n", "e2e-doomed", "-f", "-", input=json.dumps(pod))
    management.kubectl("create", "configmap", "-n", "e2e-doomed", "settings", "--from-literal=a=b")

    management.kubectl("delete", "namespace", "e2e-doomed", "--timeout=90s")
    remaining = management.kubectl("get", "namespaces", "-o", "name")

    assert "namespace/e2e-doomed" not in remaining.split()


def test_two_clusters_run_at_the_same_time(clusters: list[Cluster]) -> None:
    management, workload = clusters
    if management.kubeconfig == workload.kubeconfig:
        pytest.skip("one existing cluster was given for every role")

    marker = "e2e-only-in-workload"
    workload.kubectl("create", "namespace", marker)
    try:
        assert management.kubectl("get", "--raw", "/readyz") == "ok"
        assert workload.kubectl("get", "--raw", "/readyz") == "ok"
        assert management.server != workload.server
        assert management.ca_cert != workload.ca_cert
        assert f"namespace/{marker}" not in management.kubectl("get", "ns", "-o", "name").split()
    finally:
        workload.kubectl("delete", "namespace", marker, "--wait=false")


def _answers_from_a_pod(management: Cluster, namespace: str, host: str, port: int) -> str:
    """What an apiserver at host:port answers a pod that speaks plain HTTP to it.

    Go's TLS server answers plain HTTP with a telltale 400, which proves the
    whole path from the pod to a real apiserver.
    """
    pod = busybox_pod(management, "client", ["sleep", "3600"])
    management.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pod))
    management.kubectl(
        "wait", "-n", namespace, "--for=condition=Ready", "pod/client", "--timeout=60s"
    )
    request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {host} {port}"
    return management.kubectl("exec", "-n", namespace, "client", "--", "sh", "-c", request)


def test_a_pod_reaches_the_apiserver_through_the_kubernetes_service(
    management, make_namespace
) -> None:
    service_ip = management.kubectl(
        "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}"
    )

    answer = _answers_from_a_pod(management, make_namespace(management), service_ip, 443)

    assert "Client sent an HTTP request to an HTTPS server" in answer


def test_a_pod_of_the_management_cluster_reaches_the_workload_apiserver(
    management, workload, make_namespace
) -> None:
    if not workload.pod_server:
        pytest.skip("the workload cluster is reached at its server URL")
    host, port = workload.pod_server.removeprefix("https://").rsplit(":", 1)

    answer = _answers_from_a_pod(management, make_namespace(management), host, int(port))

    assert "Client sent an HTTP request to an HTTPS server" in answer
