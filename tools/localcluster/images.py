"""Container images for a local node, assembled here and pulled from nowhere.

Two images are enough for a node: a pause image for pod sandboxes, compiled
from ``pause.c`` with ``gcc -static``, and a busybox image for workloads, made
of Debian's static busybox and its applet links. Each is written as a
``docker save`` archive, which ``ctr images import`` reads, and cached by the
hash of its inputs.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localcluster.binaries import cache_root

HERE = Path(__file__).resolve().parent
PAUSE_IMAGE = "localhost/mayyam/pause:1"
BUSYBOX_IMAGE = "localhost/mayyam/busybox:1"
BUSYBOX = Path("/bin/busybox")


@dataclass(frozen=True)
class _File:
    path: str
    data: bytes = b""
    mode: int = 0o755
    link: str | None = None


def _layer(files: list[_File]) -> bytes:
    """An uncompressed layer tar, reproducible: fixed owners and times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories = sorted({str(Path(f.path).parent) for f in files} - {"."})
        for directory in directories:
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for f in files:
            info = tarfile.TarInfo(f.path)
            info.mode = f.mode
            if f.link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, f.link
                tar.addfile(info)
            else:
                info.size = len(f.data)
                tar.addfile(info, io.BytesIO(f.data))
    return buffer.getvalue()


def _write_archive(path: Path, reference: str, layer: bytes, config: dict[str, object]) -> None:
    """Write ``docker save`` format: manifest.json, the config, and one layer."""
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_bytes = json.dumps(image_config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [reference], "Layers": ["layer.tar"]}]

    with tarfile.open(path, mode="w") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            (config_name, config_bytes),
            ("layer.tar", layer),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))


def _pause_binary() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pause"
        subprocess.run(
            ["gcc", "-static", "-Os", "-s", "-o", str(out), str(HERE / "pause.c")], check=True
        )
        return out.read_bytes()


def _busybox_files() -> list[_File]:
    listing = subprocess.run(
        [str(BUSYBOX), "--list-full"], check=True, capture_output=True, text=True
    ).stdout.split()
    files = [_File("bin/busybox", BUSYBOX.read_bytes())]
    for applet in listing:
        if applet != "bin/busybox":
            depth = applet.count("/")
            files.append(_File(applet, link="../" * depth + "bin/busybox"))
    files.append(_File("tmp/.keep", mode=0o644))
    return files


def ensure_images() -> list[Path]:
    """Build (once) and return the archives of the pause and busybox images."""
    if not BUSYBOX.is_file():
        raise RuntimeError("Debian's busybox-static package is needed for the workload image")
    inputs = hashlib.sha256((HERE / "pause.c").read_bytes() + BUSYBOX.read_bytes())
    inputs.update(Path(__file__).read_bytes())
    directory = cache_root() / f"images-{inputs.hexdigest()[:12]}"
    archives = [directory / "pause.tar", directory / "busybox.tar"]
    if all(a.is_file() for a in archives):
        return archives

    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pause = _layer([_File("pause", _pause_binary())])
    _write_archive(partial / "pause.tar", PAUSE_IMAGE, pause, {"Entrypoint": ["/pause"]})
    busybox = _layer(_busybox_files())
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    _write_archive(partial / "busybox.tar", BUSYBOX_IMAGE, busybox, {"Cmd": ["sh"], "Env": env})
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)
    return archives
