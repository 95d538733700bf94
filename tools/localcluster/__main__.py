"""Command line of the local clusters.

``python -m localcluster build`` builds (once) the binaries and node images.
``python -m localcluster up a b`` starts clusters ``a`` and ``b`` (only the
first has a node), writes their kubeconfigs and keeps them running until
interrupted; ``--ready-file`` names a file written once they are ready.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import threading
import time
from pathlib import Path

from localcluster.binaries import ensure_binaries
from localcluster.cluster import LocalClusters
from localcluster.images import ensure_images


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localcluster")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the binaries and node images")
    up = commands.add_parser("up", help="start clusters and keep them running")
    up.add_argument("names", nargs="*", default=["mayyam"], help="cluster names")
    up.add_argument(
        "--kubeconfig-dir",
        type=Path,
        default=Path.cwd(),
        help="where to copy NAME.kubeconfig while the clusters run (default: current folder)",
    )
    up.add_argument("--ready-file", type=Path, help="a file to write once all are ready")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    if args.command == "build":
        for name, path in ensure_binaries().items():
            print(f"{name}: {path}")
        for archive in ensure_images():
            print(f"image: {archive}")
        return

    stop = threading.Event()
    for signo in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signo, lambda *_: stop.set())

    started = time.monotonic()
    copies: list[Path] = []
    with LocalClusters(args.names) as clusters:
        try:
            args.kubeconfig_dir.mkdir(parents=True, exist_ok=True)
            for cluster in clusters:
                target = args.kubeconfig_dir / f"{cluster.name}.kubeconfig"
                shutil.copy(cluster.kubeconfig, target)
                copies.append(target)
                print(f"{cluster.name}: {cluster.server} kubeconfig={target}", flush=True)
            print(f"Ready in {time.monotonic() - started:.1f} s; interrupt to stop.", flush=True)
            if args.ready_file:
                args.ready_file.write_text("ready\n")
            while not stop.wait(1):
                for cluster in clusters:
                    cluster.check_running()
        finally:
            # The copies name clusters that no longer exist once stopped.
            for copy in copies:
                copy.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
