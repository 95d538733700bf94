"""A worker node of a local cluster: a real kubelet and containerd.

The node lives in a network namespace of its own, joined to the host by a
veth pair on 198.18.0.0/15 (the range set aside for network testing). The
kubelet, containerd, the CNI bridge and every pod address stay inside it;
the apiserver reaches the kubelet at the node's veth address, and the kubelet
reaches the apiserver through a relay on the namespace's 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

from localcluster import images
from localcluster.controlplane import ControlPlane, write_kubeconfig
from localcluster.processes import Process, wait_until

log = logging.getLogger(__name__)

POD_CIDR = "10.244.0.0/24"
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def _free_link_subnet() -> ipaddress.IPv4Network:
    """A /30 of 198.18.0.0/15 that no interface on the host uses yet."""
    used = {
        ipaddress.ip_interface(a["local"] + "/" + str(a["prefixlen"])).network
        for link in json.loads(_run("ip", "-j", "addr"))
        for a in link.get("addr_info", [])
        if a.get("family") == "inet"
    }
    for _ in range(100):
        third, fourth = secrets.randbelow(256), 4 * secrets.randbelow(64)
        candidate = ipaddress.ip_network(f"198.18.{third}.{fourth}/30")
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise RuntimeError("found no free /30 in 198.18.0.0/16")


class Node:
    """One node, registered with ``control_plane``'s apiserver."""

    def __init__(self, control_plane: ControlPlane, binaries: dict[str, Path]) -> None:
        self.control_plane = control_plane
        self.binaries = binaries
        self.name = f"{control_plane.name}-node"
        self.workdir = control_plane.workdir / "node"
        self.workdir.mkdir(parents=True, exist_ok=True)

        suffix = secrets.token_hex(3)
        self.netns = f"mayyam-{suffix}"
        self.host_link = f"mym{suffix}"
        subnet = _free_link_subnet()
        self.host_ip, self.ip = (str(h) for h in subnet.hosts())
        self.prefix = subnet.prefixlen
        self.cgroup = f"mayyam-{suffix}"
        self.socket = self.workdir / "containerd.sock"
        #: Ports of apiservers on the host's 127.0.0.1 that the relay carries.
        self.relay_ports = [control_plane.port]
        self.processes: list[Process] = []

    def _start(self, name: str, argv: list[str], netns: str | None = None) -> Process:
        process = Process(name, argv, self.workdir / f"{name}.log", netns=netns)
        self.processes.append(process)
        return process

    def start(self) -> None:
        self._create_network()
        self._start(
            "apiserver-relay",
            [
                sys.executable,
                "-m",
                "localcluster.forward",
                self.netns,
                ",".join(str(p) for p in self.relay_ports),
                self.ip,
            ],
        )
        self._start_containerd()
        self._start_kubelet()
        self._start_kube_proxy()

    def _create_network(self) -> None:
        _run("ip", "netns", "add", self.netns)
        _run(
            "ip",
            "link",
            "add",
            self.host_link,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            self.netns,
        )
        _run("ip", "addr", "add", f"{self.host_ip}/{self.prefix}", "dev", self.host_link)
        _run("ip", "link", "set", self.host_link, "up")
        inside = ("ip", "-n", self.netns)
        _run(*inside, "addr", "add", f"{self.ip}/{self.prefix}", "dev", "eth0")
        _run(*inside, "link", "set", "eth0", "up")
        _run(*inside, "link", "set", "lo", "up")

    def _start_containerd(self) -> None:
        cni_conf = self.workdir / "cni"
        cni_conf.mkdir(exist_ok=True)
        (cni_conf / "10-mayyam.conflist").write_text(json.dumps(self._cni_config(), indent=2))
        config = self.workdir / "containerd.toml"
        config.write_text(self._containerd_config(cni_conf))
        process = self._start(
            "containerd", [str(_which("containerd")), "--config", str(config)], netns=self.netns
        )
        wait_until(lambda: self._ctr_ok(process), 30, "containerd")
        for archive in images.ensure_images():
            self.import_image(archive)

    def import_image(self, archive: Path) -> None:
        """Import an image archive (``docker save`` or OCI) for the node's pods."""
        self._ctr("images", "import", str(archive))

    def _ctr(self, *args: str) -> str:
        return _run("ctr", "--address", str(self.socket), "--namespace", "k8s.io", *args)

    def _ctr_ok(self, process: Process) -> bool:
        process.check_running()
        return self.socket.exists() and bool(self._ctr("version"))

    def _cni_config(self) -> dict[str, object]:
        return {
            "cniVersion": "1.0.0",
            "name": "mayyam",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "cni0",
                    "isGateway": True,
                    "ipMasq": False,
                    # A pod may reach itself through a Service address.
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": str(self.workdir / "ipam"),
                        "ranges": [[{"subnet": POD_CIDR}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                    },
                },
                {"type": "loopback"},
            ],
        }

    def _containerd_config(self, cni_conf: Path) -> str:
        root = self.workdir / "containerd"
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        return f"""version = 2
root = "{root}/root"
state = "{root}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{self.socket}"

[ttrpc]
  address = "{self.socket}.ttrpc"

[{cri}]
  sandbox_image = "{images.PAUSE_IMAGE}"
  # Root here may not lower its own OOM score, which runc tries by default.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  enable_selinux = false

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[{cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{cni_conf}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{root}/opt"
"""

    def _create_cgroups(self) -> None:
        """Create the kubelet's cgroup root in every v1 hierarchy, as it requires."""
        for hierarchy in CGROUP_ROOT.iterdir():
            if hierarchy.name == "unified" or not hierarchy.is_dir():
                continue
            top = hierarchy / self.cgroup
            top.mkdir(exist_ok=True)
            # A new cpuset starts with no CPUs and no memory nodes: inherit them.
            for name in ("cpuset.cpus", "cpuset.mems"):
                if (hierarchy / name).exists():
                    (top / name).write_text((hierarchy / name).read_text())

    def _start_kubelet(self) -> None:
        self._create_cgroups()
        ca = self.control_plane.ca
        client = ca.issue("kubelet-client", f"system:node:{self.name}", organization="system:nodes")
        serving = ca.issue("kubelet", self.name, hosts=[self.ip, self.name])
        kubeconfig = self.workdir / "kubelet.kubeconfig"
        write_kubeconfig(kubeconfig, self.name, self.control_plane.server, ca.pair.cert, client)

        config = self.workdir / "kubelet.yaml"
        config.write_text(yaml.safe_dump(self._kubelet_config(serving.cert, serving.key)))
        self._start(
            "kubelet",
            [
                str(self.binaries["kubelet"]),
                f"--config={config}",
                f"--kubeconfig={kubeconfig}",
                f"--hostname-override={self.name}",
                f"--node-ip={self.ip}",
                f"--root-dir={self.workdir / 'kubelet'}",
            ],
            netns=self.netns,
        )

    def _kubelet_config(self, cert: Path, key: Path) -> dict[str, object]:
        return {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": self.ip,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": False},
                "x509": {"clientCAFile": str(self.control_plane.ca.pair.cert)},
            },
            # Only the apiserver holds a client certificate of this CA.
            "authorization": {"mode": "AlwaysAllow"},
            "tlsCertFile": str(cert),
            "tlsPrivateKeyFile": str(key),
            "containerRuntimeEndpoint": f"unix://{self.socket}",
            "cgroupDriver": "cgroupfs",
            "cgroupRoot": f"/{self.cgroup}",
            "failSwapOn": False,
            "podCIDR": POD_CIDR,
            "podLogsDir": str(self.workdir / "pod-logs"),
            "resolvConf": "/etc/resolv.conf",
            # The node's images are imported, not pulled: never collect them.
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
                "nodefs.inodesFree": "1%",
            },
        }

    def _start_kube_proxy(self) -> None:
        """kube-proxy in iptables mode gives the node's pods Service addresses."""
        config = self.workdir / "kube-proxy.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                    "kind": "KubeProxyConfiguration",
                    "clientConnection": {"kubeconfig": str(self.control_plane.kubeconfig)},
                    "mode": "iptables",
                    "clusterCIDR": POD_CIDR,
                    "hostnameOverride": self.name,
                    "metricsBindAddress": "127.0.0.1:10249",
                    "healthzBindAddress": "127.0.0.1:10256",
                    # The namespace's conntrack table is the host's: leave its size alone.
                    "conntrack": {"maxPerCore": 0, "min": 0},
                    "iptables": {"localhostNodePorts": False},
                }
            )
        )
        self._start(
            "kube-proxy",
            [str(self.binaries["kube-proxy"]), f"--config={config}"],
            netns=self.netns,
        )

    def check_running(self) -> None:
        for process in self.processes:
            process.check_running()

    def stop(self) -> None:
        """Stop the node and remove every container, mount, cgroup and link it made."""
        by_name = {p.name: p for p in self.processes}
        if "kubelet" in by_name:
            by_name["kubelet"].stop()
        if "containerd" in by_name and by_name["containerd"].running():
            self._remove_tasks()
        for process in reversed(self.processes):
            process.stop()
        _kill_shims(self.socket)
        _unmount_under(self.workdir)
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True)
        _remove_cgroups(self.cgroup)

    def _remove_tasks(self) -> None:
        try:
            for task in self._ctr("tasks", "list", "--quiet").split():
                subprocess.run(
                    [
                        "ctr",
                        "--address",
                        str(self.socket),
                        "--namespace",
                        "k8s.io",
                        "tasks",
                        "delete",
                        "--force",
                        task,
                    ],
                    capture_output=True,
                    timeout=30,
                )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            log.warning("Could not remove the containers of %s: %s", self.name, e)


def _which(command: str) -> Path:
    for directory in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/usr/bin"]:
        candidate = Path(directory) / command
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"{command} is not installed")


def _kill_shims(socket: Path) -> None:
    """Kill the containerd shims that served this node's socket, if any outlived it."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and str(socket).encode() in argv:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), 9)


def _unmount_under(directory: Path) -> None:
    """Lazily unmount everything mounted below ``directory``, deepest first."""
    prefix = str(directory) + "/"
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(prefix):
            mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True)


def _remove_cgroups(name: str) -> None:
    """Remove the kubelet's cgroup tree ``/name`` from every v1 hierarchy."""
    for hierarchy in CGROUP_ROOT.iterdir():
        top = hierarchy / name
        if not top.is_dir():
            continue
        for directory in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if directory.is_dir():
                directory.rmdir()
        top.rmdir()
