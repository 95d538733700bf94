"""The Kubernetes, etcd and helm binaries a local cluster runs.

They are compiled from the Go modules pinned under ``tools/kube`` and
``tools/helm`` and cached outside the checkout, in a folder named by the
pinned version and a hash of the module files, so a build happens once per pin.
People who can download official release binaries can point
``MAYYAM_KUBE_BIN_DIR`` at a folder holding them instead and need no Go.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TOOLS = Path(__file__).resolve().parent.parent
KUBE_MODULE = TOOLS / "kube"
HELM_MODULE = TOOLS / "helm"
COMMANDS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "kubelet",
    "kubectl",
    "helm",
)


def cache_root() -> Path:
    """Where built binaries, images and Go's caches live, outside any checkout."""
    if "MAYYAM_CACHE_DIR" in os.environ:
        return Path(os.environ["MAYYAM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mayyam"


def pinned_version(module: Path, path: str) -> str:
    """The version that ``module``'s go.mod pins for the Go module ``path``."""
    text = (module / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(path)} (v\S+)", text, re.MULTILINE)
    if not match:
        raise RuntimeError(f"{module / 'go.mod'} pins no version of {path}")
    return match.group(1)


def _module_hash(module: Path) -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((module / name).read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class _Build:
    module: Path
    version: str
    ldflags: str

    @property
    def output(self) -> Path:
        return cache_root() / f"{self.module.name}-{self.version}-{_module_hash(self.module)}"


def _kube_build() -> _Build:
    version = pinned_version(KUBE_MODULE, "k8s.io/kubernetes")
    major, minor = version.lstrip("v").split(".")[:2]
    flags = [
        "-s",
        "-w",
        f"-X k8s.io/component-base/version.gitVersion={version}",
        f"-X k8s.io/component-base/version.gitMajor={major}",
        f"-X k8s.io/component-base/version.gitMinor={minor}",
        "-X k8s.io/component-base/version.gitTreeState=clean",
    ]
    return _Build(KUBE_MODULE, version, " ".join(flags))


def _helm_build() -> _Build:
    version = pinned_version(HELM_MODULE, "helm.sh/helm/v4")
    flags = f"-s -w -X helm.sh/helm/v4/internal/version.version={version}"
    return _Build(HELM_MODULE, version, flags)


def _go_build(build: _Build) -> Path:
    """Build every tool of ``build.module`` unless a finished build is cached."""
    if build.output.is_dir():
        return build.output

    partial = build.output.with_name(build.output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log.info(
        "Building the tools of %s at %s; a cold build takes a while.",
        build.module.name,
        build.version,
    )
    started = time.monotonic()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags", build.ldflags, "-o", f"{partial}/", "tool"],
        cwd=build.module,
        env=env,
        check=True,
    )

    # etcd's main package is go.etcd.io/etcd/server/v3, which go names "server".
    if (partial / "server").exists():
        (partial / "server").rename(partial / "etcd")
    partial.rename(build.output)
    log.info("Built %s in %.0f s.", build.module.name, time.monotonic() - started)
    return build.output


def _found(directory: Path) -> dict[str, Path]:
    return {name: directory / name for name in COMMANDS if (directory / name).is_file()}


def ensure_binaries() -> dict[str, Path]:
    """Return the path of every command a local cluster needs, building them if needed."""
    prebuilt = os.environ.get("MAYYAM_KUBE_BIN_DIR")
    if prebuilt:
        found = _found(Path(prebuilt))
        missing = sorted(set(COMMANDS) - set(found))
        if missing:
            raise RuntimeError(f"MAYYAM_KUBE_BIN_DIR lacks {', '.join(missing)}")
        return found

    found = _found(_go_build(_kube_build()))
    found.update(_found(_go_build(_helm_build())))
    return found
