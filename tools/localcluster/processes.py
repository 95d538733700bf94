"""Child processes of a local cluster: started with their output in a log
file, and stopped by PID, politely first."""

from __future__ import annotations

import http.client
import logging
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class ProcessExitedError(RuntimeError):
    """A component exited while it should be running."""


class Process:
    """One long-running component, such as etcd or the kubelet."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log_path: Path,
        *,
        netns: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        if netns:
            # nsenter switches only the network namespace and then execs, so
            # the PID is the component's own and mounts stay the host's.
            argv = ["nsenter", f"--net=/run/netns/{netns}", "--", *argv]
        with open(log_path, "ab") as out:
            self._popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        self.pid = self._popen.pid

    def running(self) -> bool:
        return self._popen.poll() is None

    def check_running(self) -> None:
        """Raise with the end of the log if the component has exited."""
        if not self.running():
            raise ProcessExitedError(
                f"{self.name} exited with {self._popen.returncode}; its log ends:\n"
                + self.log_tail()
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds."""
        if not self.running():
            return
        self._popen.send_signal(signal.SIGTERM)
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s; killing it.", self.name, timeout)
            self._popen.kill()
            self._popen.wait()


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except ProcessExitedError:
            raise
        except Exception as e:
            last_error = e
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what}: {last_error}")


def http_ok(
    process: Process, host: str, port: int, path: str, context: ssl.SSLContext | None = None
) -> bool:
    """Whether ``process`` runs and answers GET ``path`` with 200."""
    process.check_running()
    connection: http.client.HTTPConnection
    if context is None:
        connection = http.client.HTTPConnection(host, port, timeout=2)
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=2, context=context)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    finally:
        connection.close()
