"""Handles on running clusters, for the tests and the demo, and the ways to
start them: from local binaries, with kind, or from an existing kubeconfig."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Cluster:
    """A running cluster, as the tests see it: a kubeconfig and kubectl."""

    name: str
    kubeconfig: Path
    kubectl_path: str
    workload_image: str
    image_pull_policy: str = "Never"
    has_node: bool = True
    #: The URL at which pods of the management cluster reach this cluster's
    #: apiserver, where it differs from `server` (local clusters).
    pod_server: str | None = None
    #: The `localcluster.LocalCluster` behind it, for tests that stop and start
    #: its parts; None for kind and existing clusters.
    local: Any = None
    _config: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._config = yaml.safe_load(self.kubeconfig.read_text())

    def _current_cluster(self) -> dict:
        context_name = self._config["current-context"]
        context = next(c for c in self._config["contexts"] if c["name"] == context_name)
        return next(
            c for c in self._config["clusters"] if c["name"] == context["context"]["cluster"]
        )["cluster"]

    @property
    def server(self) -> str:
        return self._current_cluster()["server"]

    @property
    def ca_cert(self) -> bytes:
        cluster = self._current_cluster()
        if "certificate-authority-data" in cluster:
            return base64.b64decode(cluster["certificate-authority-data"])
        return Path(cluster["certificate-authority"]).read_bytes()

    def kubectl_command(self, *args: str) -> list[str]:
        """The argv of a kubectl command against this cluster."""
        return [self.kubectl_path, f"--kubeconfig={self.kubeconfig}", *args]

    def kubectl(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        """Run kubectl against this cluster; raise with its stderr when it fails."""
        result = subprocess.run(
            self.kubectl_command(*args),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def kubectl_json(self, *args: str) -> dict:
        return json.loads(self.kubectl(*args, "-o", "json"))

    def apply(self, manifest: dict | list[dict]) -> None:
        documents = manifest if isinstance(manifest, list) else [manifest]
        self.kubectl("apply", "-f", "-", input="\n---\n".join(json.dumps(d) for d in documents))


@contextmanager
def local_clusters(names: list[str]) -> Iterator[list[Cluster]]:
    """Clusters from local binaries; only the first has a node."""
    from localcluster import LocalClusters
    from localcluster.images import BUSYBOX_IMAGE

    with LocalClusters(names) as started:
        yield [
            Cluster(
                c.name,
                c.kubeconfig,
                str(c.binaries["kubectl"]),
                BUSYBOX_IMAGE,
                has_node=c.node is not None,
                pod_server=c.pod_server,
                local=c,
            )
            for c in started
        ]


@contextmanager
def kind_clusters(names: list[str]) -> Iterator[list[Cluster]]:
    """kind clusters through pytest-kind, with the local images loaded."""
    from pytest_kind import KindCluster

    from localcluster.images import BUSYBOX_IMAGE, ensure_images

    kinds = [KindCluster(f"mayyam-{name}") for name in names]
    try:
        clusters = []
        for kind in kinds:
            kind.create()
            for archive in ensure_images():
                subprocess.run(
                    [
                        str(kind.kind_path),
                        "load",
                        "image-archive",
                        str(archive),
                        "--name",
                        kind.name,
                    ],
                    check=True,
                )
            clusters.append(
                Cluster(kind.name, kind.kubeconfig_path, str(kind.kubectl_path), BUSYBOX_IMAGE)
            )
        yield clusters
    finally:
        for kind in kinds:
            kind.delete()


def existing_cluster(kubeconfig: Path) -> Cluster:
    """A cluster someone else runs; its workload image is pulled as usual."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        raise RuntimeError("using an existing cluster needs kubectl on the PATH")
    return Cluster("existing", kubeconfig, kubectl, "busybox:1.36", "IfNotPresent")
