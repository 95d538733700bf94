"""Mayyam's Helm chart, driven with the helm that the project builds.

The unit tests render it (``helm template``) and read the objects back; the
end-to-end tests install, upgrade and uninstall it on a real cluster.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from localcluster.binaries import ensure_binaries

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "mayyam"


class HelmError(RuntimeError):
    """helm exited with an error; the message holds what it printed."""


def helm(*args: str, kubeconfig: Path | None = None, timeout: float = 300) -> str:
    """Run helm and return its output; raise `HelmError` with its stderr when it fails."""
    argv = [str(ensure_binaries()["helm"]), *args]
    if kubeconfig is not None:
        argv.append(f"--kubeconfig={kubeconfig}")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise HelmError(f"helm {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def values_file(values: dict[str, Any], directory: Path) -> Path:
    """Write ``values`` to a file helm reads with ``--values``."""
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix="values-", dir=directory, delete=False
    ) as handle:
        json.dump(values, handle)
    return Path(handle.name)


def render(
    values: dict[str, Any] | None = None,
    *,
    release: str = "mayyam",
    namespace: str = "mayyam",
    include_crds: bool = False,
) -> list[dict[str, Any]]:
    """The objects ``helm template`` renders with ``values``, parsed."""
    with tempfile.TemporaryDirectory(prefix="mayyam-chart-") as tmp:
        args = ["template", release, str(CHART), f"--namespace={namespace}"]
        args.append(f"--values={values_file(values or {}, Path(tmp))}")
        if include_crds:
            args.append("--include-crds")
        output = helm(*args)
    return [doc for doc in yaml.safe_load_all(output) if doc]
