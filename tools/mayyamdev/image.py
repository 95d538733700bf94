"""Mayyam's container image, built from the repository's Dockerfile.

Users build it with ``docker build .``. The tests build the same Dockerfile
with buildah, which needs no daemon: there is no process to start, stop or
leave behind, only a storage folder, kept under the cache root so that the
layers of the dependencies are reused from one run to the next. The base
image is the local Debian one (`mayyamdev.baseimage`), passed as the
``BASE_IMAGE`` build argument, since no official image can be pulled here.

The result is written as a ``docker save`` archive, which a node imports.
Builds from several checkouts share the storage and take turns (a file lock).

Run as ``python -m mayyamdev.image [DIRECTORY]`` to build it and write
``mayyam.tar`` there.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from localcluster.binaries import cache_root
from mayyamdev.baseimage import base_name, ensure_base_rootfs

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/mayyam/mayyam:dev"
BASE_IMAGE = "localhost/mayyam/python-base"
#: A tag on the build stage, so that pruning old layers keeps its cache.
BUILD_STAGE = "localhost/mayyam/build-stage:latest"
PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class BuiltImage:
    """An image built and saved: its name, its archive, and what it took."""

    reference: str
    archive: Path
    seconds: float


class Buildah:
    """buildah, with its storage under the cache root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_root() / "buildah"

    def command(self, *args: str) -> list[str]:
        storage = ["--root", str(self.root / "storage"), "--runroot", str(self.root / "run")]
        return ["buildah", *storage, "--storage-driver", "overlay", *args]

    def run(self, *args: str, log_path: Path | None = None) -> str:
        """Run buildah; raise with the end of its output when it fails."""
        result = subprocess.run(self.command(*args), capture_output=True, text=True)
        if log_path is not None:
            with open(log_path, "a") as out:
                out.write(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise RuntimeError(f"buildah {args[0]} failed with {result.returncode}:\n{tail}")
        return result.stdout.strip()

    def has_image(self, reference: str) -> bool:
        found = subprocess.run(
            self.command("inspect", "--type", "image", reference), capture_output=True
        )
        return found.returncode == 0

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the storage for this process alone while the block runs."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def ensure_base_image(buildah: Buildah) -> str:
    """Import (once) the local base image into buildah's storage; return its name."""
    reference = f"{BASE_IMAGE}:{base_name()}"
    if buildah.has_image(reference):
        return reference

    rootfs = ensure_base_rootfs()
    container = buildah.run("from", "scratch")
    try:
        buildah.run("add", container, str(rootfs), "/")
        buildah.run("config", "--env", PATH, "--cmd", "python3", container)
        buildah.run("commit", "--quiet", container, reference)
    finally:
        buildah.run("rm", container)
    return reference


def build_image(directory: Path, buildah: Buildah | None = None) -> BuiltImage:
    """Build the image from the Dockerfile and save it as ``directory/mayyam.tar``."""
    if shutil.which("buildah") is None:
        raise RuntimeError("Debian's buildah package is needed to build the image")
    buildah = buildah or Buildah()
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / "build.log"
    archive = directory / "mayyam.tar"
    started = time.monotonic()

    with buildah.locked():
        base = ensure_base_image(buildah)
        build = [
            "build",
            "--layers",
            "--isolation=chroot",
            "--network=host",
            f"--build-arg=BASE_IMAGE={base}",
            f"--file={ROOT / 'Dockerfile'}",
        ]
        buildah.run(*build, "--target=build", f"--tag={BUILD_STAGE}", str(ROOT), log_path=log_path)
        buildah.run(*build, f"--tag={IMAGE}", str(ROOT), log_path=log_path)
        _prune(buildah)
        archive.unlink(missing_ok=True)
        buildah.run("push", "--quiet", IMAGE, f"docker-archive:{archive}:{IMAGE}")

    seconds = time.monotonic() - started
    log.info("Built and saved %s in %.0f s.", IMAGE, seconds)
    return BuiltImage(IMAGE, archive, seconds)


def _prune(buildah: Buildah) -> None:
    """Remove the layers of earlier builds that no tagged image uses any more."""
    try:
        buildah.run("rmi", "--prune")
    except RuntimeError as e:
        # An image a leftover working container uses stays; the rest is gone.
        log.warning("Some earlier layers were kept: %s", e)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    built = build_image(directory)
    size = built.archive.stat().st_size / 1e6
    print(f"{built.reference}: {built.archive} ({size:.0f} MB) in {built.seconds:.0f} s")


if __name__ == "__main__":
    main()
