"""Mayyam's own components, run as real processes against real clusters.

An operator can be started with a resolver of its own (``local_dns``): in a
mount namespace of its own, ``/etc/resolv.conf`` then names only 127.0.0.1,
where no DNS server listens, so every lookup fails at once and no query
leaves the machine. Tests use it to see how a name that cannot be resolved
is reported.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from localcluster.controlplane import free_port
from localcluster.processes import Process, http_ok, wait_until

MAYYAM = str(Path(sys.executable).with_name("mayyam"))


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(48)


@dataclass
class Product:
    """The operator and the API of one Mayyam installation."""

    kubeconfig: Path
    namespace: str
    logs: Path
    jwt_secret: str

    def __post_init__(self) -> None:
        self.env = {
            "MAYYAM_KUBECONFIG": str(self.kubeconfig),
            "MAYYAM_NAMESPACE": self.namespace,
            "MAYYAM_JWT_SECRET": self.jwt_secret,
        }
        self.processes: list[Process] = []
        self.api_url = ""

    def start_operator(
        self,
        name: str = "operator",
        env: dict[str, str] | None = None,
        *,
        local_dns: bool = False,
    ) -> Process:
        """Start ``mayyam operator``; ``env`` adds to or overrides the settings."""
        argv = [MAYYAM, "operator"]
        if local_dns:
            argv = self._with_local_resolver(argv)
        process = Process(name, argv, self.logs / f"{name}.log", env={**self.env, **(env or {})})
        self.processes.append(process)
        return process

    def _with_local_resolver(self, argv: list[str]) -> list[str]:
        resolv_conf = self.logs / "resolv.conf"
        resolv_conf.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
        # unshare makes the new mount namespace private: the host keeps its file.
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        return ["unshare", "--mount", "--", "sh", "-c", script, str(resolv_conf), *argv]

    def start_api(self, port: int | None = None) -> Process:
        port = port or free_port()
        process = Process(
            "api", [MAYYAM, "api", "--port", str(port)], self.logs / "api.log", env=self.env
        )
        self.processes.append(process)
        self.api_url = f"http://127.0.0.1:{port}"
        # Ready once it has listed the MayyamClusters and their Secrets.
        wait_until(
            lambda: http_ok(process, "127.0.0.1", port, "/readyz"), 30, "the API to be ready"
        )
        return process

    def token(self, subject: str, roles: str = "viewer") -> str:
        """A bearer token for ``subject`` with comma-separated ``roles``."""
        return subprocess.run(
            [MAYYAM, "token", "--sub", subject, "--roles", roles],
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def stop_process(self, process: Process) -> None:
        """Stop one component, politely."""
        process.stop()
        self.processes.remove(process)
