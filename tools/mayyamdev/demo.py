"""Mayyam end to end on one machine, with nothing to prepare.

Starts a local cluster (or uses kind, or an existing kubeconfig), installs
the CRD, registers the cluster with itself through a ServiceAccount token,
starts the operator and the API, checks that the API answers, and prints a
token and a ``curl`` line. Everything stops on Ctrl-C.

Run as ``python -m mayyamdev.demo [--kind | --kubeconfig PATH] [--port N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import socket
import tempfile
import threading
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from mayyamdev.clusters import Cluster, existing_cluster, kind_clusters, local_clusters
from mayyamdev.product import MAYYAM, Product, new_jwt_secret
from mayyamdev.registration import register

NAMESPACE = "mayyam"
CLUSTER_ID = "local"


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mayyamdev.demo", description=__doc__)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--kind", action="store_true", help="create a kind cluster instead")
    where.add_argument("--kubeconfig", type=Path, help="use this existing cluster instead")
    parser.add_argument("--port", type=int, default=8080, help="the API's port (default 8080)")
    args = parser.parse_args()
    if not 1 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port (1 to 65535)")
    if args.kubeconfig and not args.kubeconfig.is_file():
        parser.error(f"--kubeconfig {args.kubeconfig} is not a file")
    return args


def _cluster(args: argparse.Namespace, stack: ExitStack) -> Cluster:
    if args.kubeconfig:
        return existing_cluster(args.kubeconfig)
    start = kind_clusters if args.kind else local_clusters
    return stack.enter_context(start(["mayyam"]))[0]


def _namespaces(url: str, token: str) -> list[str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return [n["name"] for n in json.load(response)]


def _check_port_free(port: int) -> None:
    """Fail early, and clearly, if another server already listens on ``port``."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"demo: port {port} is in use; choose another with --port") from None


def main() -> None:
    args = _parse()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    _check_port_free(args.port)
    # Until everything runs, Ctrl-C interrupts the start-up, and the exit
    # stack stops what had started.
    for signo in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signo, signal.default_int_handler)
    try:
        _run(args)
    except KeyboardInterrupt:
        raise SystemExit("demo: interrupted; everything it started has stopped") from None
    print("demo: stopped, and so has everything it started.", flush=True)


def _run(args: argparse.Namespace) -> None:
    with ExitStack() as stack:
        cluster = _cluster(args, stack)
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        register(cluster, cluster, CLUSTER_ID, NAMESPACE)

        logs = Path(tempfile.mkdtemp(prefix="mayyam-demo-"))
        secret_file = logs / "jwt-secret"
        product = Product(cluster.kubeconfig, NAMESPACE, logs, new_jwt_secret())
        secret_file.write_text(product.jwt_secret)
        secret_file.chmod(0o600)
        stack.callback(product.stop)
        product.start_operator()
        cluster.kubectl(
            "wait",
            "-n",
            NAMESPACE,
            "--for=condition=Ready",
            "--timeout=60s",
            f"mayyamcluster/{CLUSTER_ID}",
        )
        product.start_api(args.port)

        token = product.token("demo", "viewer,editor,admin")
        url = f"{product.api_url}/api/kubernetes/clusters/{CLUSTER_ID}/namespaces"
        names = _namespaces(url, token)
        print(cluster.kubectl("get", "mayyamclusters", "-n", NAMESPACE), flush=True)
        print(f"The API serves cluster '{CLUSTER_ID}' with namespaces {', '.join(names)}.")
        print(f"Logs (kept after the demo): {logs}")
        print(f"Kubeconfig of the cluster: {cluster.kubeconfig}\n")
        print(f"export TOKEN={token}")
        print(f'curl -s -H "Authorization: Bearer $TOKEN" {url}\n')
        print("More tokens, for other users and roles:")
        print(
            f"  MAYYAM_JWT_SECRET=$(cat {secret_file}) {MAYYAM} token --sub NAME --roles viewer\n"
        )
        print("Mayyam is running; press Ctrl-C to stop everything.", flush=True)
        _wait_for_stop(product)


def _wait_for_stop(product: Product) -> None:
    """Run until SIGINT or SIGTERM, or until a component exits."""
    stop = threading.Event()
    for signo in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signo, lambda *_: stop.set())
    while not stop.wait(1):
        for process in product.processes:
            process.check_running()


if __name__ == "__main__":
    main()
