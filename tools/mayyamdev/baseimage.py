"""A Debian base image with python3, made here from Debian's packages.

Mayyam's Dockerfile builds on an official Python image by default. Where no
image can be pulled, the tests build it on this one instead: a bookworm root
filesystem made by ``debootstrap`` (minbase, plus python3 and python3-venv),
written as a tar archive and cached outside the checkout, keyed by what went
into it. A cold build takes about two minutes; later runs reuse the archive.

The image trusts the certificate authorities the host trusts (the host's
bundle replaces Debian's, and pip is told to use it), so that pip inside an
image build reaches the package index wherever the host's pip does, also
behind a TLS-inspecting proxy. ``MAYYAM_DEBIAN_MIRROR`` overrides
debootstrap's default mirror.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from localcluster.binaries import cache_root

log = logging.getLogger(__name__)

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PIP_CONF = "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n"


def _key() -> str:
    """A hash of everything the archive is made of."""
    digest = hashlib.sha256(f"{SUITE} {' '.join(PACKAGES)}".encode())
    digest.update(Path(__file__).read_bytes())
    if HOST_CA_BUNDLE.is_file():
        digest.update(HOST_CA_BUNDLE.read_bytes())
    return digest.hexdigest()[:12]


def base_name() -> str:
    """The name of the current base image, e.g. ``bookworm-0123456789ab``."""
    return f"{SUITE}-{_key()}"


def ensure_base_rootfs() -> Path:
    """Build (once) and return the base image's root filesystem, as a tar archive."""
    archive = cache_root() / f"base-{base_name()}" / "rootfs.tar"
    if archive.is_file():
        return archive
    if shutil.which("debootstrap") is None:
        raise RuntimeError("Debian's debootstrap package is needed to make the base image")

    cache_root().mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"base-{base_name()}.partial-", dir=cache_root()))
    try:
        started = time.monotonic()
        rootfs = partial / "rootfs"
        _debootstrap(rootfs, partial / "debootstrap.log")
        _trim_and_trust(rootfs)
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(partial / "rootfs.tar"), "."],
            check=True,
        )
        shutil.rmtree(rootfs)
        archive.parent.mkdir(parents=True, exist_ok=True)
        (partial / "rootfs.tar").rename(archive)
        log.info("Made the %s base image in %.0f s.", SUITE, time.monotonic() - started)
    finally:
        _unmount_under(partial)
        shutil.rmtree(partial, ignore_errors=True)
    return archive


def _debootstrap(rootfs: Path, log_path: Path) -> None:
    log.info("Making a %s root filesystem with debootstrap; this takes a while once.", SUITE)
    argv = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(rootfs),
    ]
    if os.environ.get("MAYYAM_DEBIAN_MIRROR"):
        argv.append(os.environ["MAYYAM_DEBIAN_MIRROR"])
    with open(log_path, "wb") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"debootstrap failed with {result.returncode}; its log ends:\n{tail}")


def _trim_and_trust(rootfs: Path) -> None:
    """Drop apt's downloads and lists; trust the host's certificate authorities."""
    for directory in (rootfs / "var/cache/apt/archives", rootfs / "var/lib/apt/lists"):
        for entry in directory.glob("*"):
            if entry.is_file():
                entry.unlink()
    if HOST_CA_BUNDLE.is_file():
        (rootfs / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        (rootfs / "etc/pip.conf").write_text(PIP_CONF)


def _unmount_under(directory: Path) -> None:
    """Unmount what an interrupted debootstrap left mounted below ``directory``."""
    prefix = str(directory) + "/"
    points = [
        line.split()[4]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if line.split()[4].startswith(prefix)
    ]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True)
