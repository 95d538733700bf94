"""The control plane of one local cluster: etcd, kube-apiserver,
kube-controller-manager and kube-scheduler, all on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from localcluster.pki import CertificateAuthority, KeyPair, write_signing_key
from localcluster.processes import Process, http_ok, wait_until

SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_kubeconfig(path: Path, name: str, server: str, ca: Path, client: KeyPair) -> None:
    """A self-contained kubeconfig: certificates are embedded, not referenced."""

    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": server, "certificate-authority-data": b64(ca)}}
        ],
        "users": [
            {
                "name": name,
                "user": {
                    "client-certificate-data": b64(client.cert),
                    "client-key-data": b64(client.key),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    # JSON is YAML too, and unlike YAML it never reads a name such as "y" as a bool.
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)


@dataclass
class ControlPlane:
    """Starts and stops the control-plane processes of one cluster."""

    name: str
    workdir: Path
    binaries: dict[str, Path]
    #: The address the node's pods reach this apiserver at, through the
    #: node's relay; it is in the serving certificate. None without a node.
    pod_address: str | None = None
    #: Whether to publish ``pod_address`` as the endpoint of the cluster's
    #: ``kubernetes`` Service: only for the cluster the node belongs to.
    #: Otherwise the apiserver publishes no endpoints.
    advertise: bool = False

    def __post_init__(self) -> None:
        self.pki_dir = self.workdir / "pki"
        self.pki_dir.mkdir(parents=True, exist_ok=True)
        self.ca = CertificateAuthority(self.pki_dir, f"{self.name}-ca")
        self.port = free_port()
        self.server = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = self.workdir / "kubeconfig"
        self.admin = self.ca.issue("admin", "mayyam-admin", organization="system:masters")
        write_kubeconfig(self.kubeconfig, self.name, self.server, self.ca.pair.cert, self.admin)
        self.processes: list[Process] = []

    def _start(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, self.workdir / f"{name}.log")
        self.processes.append(process)
        return process

    def start(self) -> None:
        """Start every component; return once the apiserver is ready."""
        etcd = self._start_etcd()
        self._start_apiserver(etcd)
        self._start_controllers()

    def _start_etcd(self) -> str:
        client, peer = free_port(), free_port()
        url = f"http://127.0.0.1:{client}"
        peer_url = f"http://127.0.0.1:{peer}"
        process = self._start(
            "etcd",
            [
                str(self.binaries["etcd"]),
                f"--name={self.name}",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={url}",
                f"--advertise-client-urls={url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster={self.name}={peer_url}",
                "--listen-metrics-urls=",
                # A throwaway test cluster trades durability for speed.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        wait_until(lambda: http_ok(process, "127.0.0.1", client, "/health"), 30, "etcd")
        return url

    def _start_apiserver(self, etcd_url: str) -> None:
        self._apiserver_argv = self._apiserver_command(etcd_url)
        self.start_apiserver()

    def start_apiserver(self) -> None:
        """Start the apiserver (again, after `stop_apiserver`) and wait until it is ready."""
        process = self._start("kube-apiserver", self._apiserver_argv)
        wait_until(lambda: self._ready(process), 60, f"the apiserver of {self.name}")

    def stop_apiserver(self) -> None:
        """Stop only the apiserver, as an outage would; the rest keeps running."""
        for process in [p for p in self.processes if p.name == "kube-apiserver"]:
            process.stop()
            self.processes.remove(process)

    def _apiserver_command(self, etcd_url: str) -> list[str]:
        hosts = [
            "127.0.0.1",
            "localhost",
            SERVICE_IP,
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ]
        if self.pod_address:
            hosts.append(self.pod_address)
        serving = self.ca.issue("apiserver", "kube-apiserver", hosts=hosts)
        kubelet_client = self.ca.issue(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            organization="system:masters",
        )
        signing = write_signing_key(self.pki_dir)
        return [
            str(self.binaries["kube-apiserver"]),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            *self._advertise_flags(),
            f"--secure-port={self.port}",
            f"--tls-cert-file={serving.cert}",
            f"--tls-private-key-file={serving.key}",
            f"--client-ca-file={self.ca.pair.cert}",
            f"--kubelet-client-certificate={kubelet_client.cert}",
            f"--kubelet-client-key={kubelet_client.key}",
            f"--service-account-key-file={signing.cert}",
            f"--service-account-signing-key-file={signing.key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            # Reach kubelets by address: node names resolve nowhere here.
            "--kubelet-preferred-address-types=InternalIP",
            "--enable-admission-plugins=NodeRestriction",
            "--allow-privileged=true",
            "--profiling=false",
            "--v=0",
        ]

    def _advertise_flags(self) -> list[str]:
        # Left to itself, the apiserver would advertise the host's own address.
        if self.pod_address and self.advertise:
            return [f"--advertise-address={self.pod_address}"]
        return ["--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none"]

    def _ready(self, process: Process) -> bool:
        context = ssl.create_default_context(cafile=str(self.ca.pair.cert))
        context.load_cert_chain(str(self.admin.cert), str(self.admin.key))
        return http_ok(process, "127.0.0.1", self.port, "/readyz", context)

    def _start_controllers(self) -> None:
        signing = KeyPair(self.pki_dir / "sa.pub", self.pki_dir / "sa.key")
        self._start(
            "kube-controller-manager",
            [
                str(self.binaries["kube-controller-manager"]),
                f"--kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--secure-port=0",
                f"--service-account-private-key-file={signing.key}",
                f"--root-ca-file={self.ca.pair.cert}",
                f"--cluster-signing-cert-file={self.ca.pair.cert}",
                f"--cluster-signing-key-file={self.ca.pair.key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--profiling=false",
            ],
        )
        self._start(
            "kube-scheduler",
            [
                str(self.binaries["kube-scheduler"]),
                f"--kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--secure-port=0",
                "--profiling=false",
            ],
        )

    def check_running(self) -> None:
        for process in self.processes:
            process.check_running()

    def stop(self) -> None:
        """Stop in reverse order of start, so nothing logs about a vanished etcd."""
        for process in reversed(self.processes):
            process.stop()
