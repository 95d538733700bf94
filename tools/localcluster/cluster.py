"""Local Kubernetes clusters from real binaries, started and stopped as one."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localcluster.binaries import ensure_binaries
from localcluster.controlplane import ControlPlane
from localcluster.node import Node
from localcluster.processes import wait_until

log = logging.getLogger(__name__)

DEFAULT_WORKDIR = Path("/var/tmp/mayyam-localcluster")


class LocalCluster:
    """One cluster: a control plane, and a node when ``with_node`` is set."""

    def __init__(self, name: str, workdir: Path, binaries: dict[str, Path], with_node: bool):
        self.name = name
        self.workdir = workdir
        self.binaries = binaries
        self.control_plane = ControlPlane(name, workdir, binaries)
        self.node = Node(self.control_plane, binaries) if with_node else None
        if self.node:
            self.control_plane.pod_address = self.node.ip
            self.control_plane.advertise = True

    @property
    def kubeconfig(self) -> Path:
        return self.control_plane.kubeconfig

    @property
    def server(self) -> str:
        return self.control_plane.server

    @property
    def pod_server(self) -> str | None:
        """The URL at which pods on the first cluster's node reach this apiserver."""
        address = self.control_plane.pod_address
        return f"https://{address}:{self.control_plane.port}" if address else None

    def kubectl(self, *args: str, timeout: float = 60) -> str:
        """Run kubectl against this cluster and return its output."""
        result = subprocess.run(
            [str(self.binaries["kubectl"]), f"--kubeconfig={self.kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, ["kubectl", *args], result.stdout, result.stderr
            )
        return result.stdout

    def start(self) -> None:
        self.control_plane.start()
        if self.node:
            self.node.start()
        self._wait_ready()

    def _wait_ready(self) -> None:
        # Pods can be created once the default ServiceAccount exists.
        wait_until(
            lambda: self.kubectl("get", "serviceaccount", "default", "-o", "name"),
            60,
            f"the default ServiceAccount of {self.name}",
        )
        if self.node:
            wait_until(self._node_ready, 60, f"node {self.node.name} to be Ready", interval=0.5)

    def _node_ready(self) -> bool:
        assert self.node
        self.node.check_running()
        node = json.loads(self.kubectl("get", "node", self.node.name, "-o", "json"))
        conditions = node.get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def check_running(self) -> None:
        """Raise if any component has exited."""
        self.control_plane.check_running()
        if self.node:
            self.node.check_running()

    def stop(self) -> None:
        if self.node:
            self.node.stop()
        self.control_plane.stop()


class LocalClusters:
    """Several clusters that start in parallel and stop together.

    Use as a context manager; only the first cluster has a node, the others
    are control planes, enough to register and to call.
    """

    def __init__(self, names: list[str], workdir: Path | None = None) -> None:
        DEFAULT_WORKDIR.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="run-", dir=workdir or DEFAULT_WORKDIR))
        binaries = ensure_binaries()
        self.clusters = [
            LocalCluster(name, self.root / name, binaries, with_node=(i == 0))
            for i, name in enumerate(names)
        ]

        # The node's pods reach every cluster's apiserver, as pods of a real
        # management cluster reach the clusters it manages.
        node = self.clusters[0].node if self.clusters else None
        if node:
            for cluster in self.clusters[1:]:
                cluster.control_plane.pod_address = node.ip
                node.relay_ports.append(cluster.control_plane.port)

    def __enter__(self) -> list[LocalCluster]:
        self.start()
        return self.clusters

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(len(self.clusters)) as pool:
                for future in [pool.submit(c.start) for c in self.clusters]:
                    future.result()
        except BaseException:
            self.stop()
            raise
        log.info("Started %d cluster(s) in %.1f s.", len(self.clusters), time.monotonic() - started)

    def stop(self) -> None:
        for cluster in self.clusters:
            try:
                cluster.stop()
            except Exception:
                log.exception("Could not stop cluster %s cleanly.", cluster.name)
        shutil.rmtree(self.root, ignore_errors=True)
