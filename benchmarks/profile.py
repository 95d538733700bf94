"""Sampling profiles of Mayyam's processes while a scenario loads them.

``py-spy`` samples a running process from outside, so the API and the
operator run exactly as they do in the benchmark. The profile is written as
collapsed stacks (one line per distinct stack, with its sample count), and
`summarize` turns it into the functions that held the most samples.
"""

from __future__ import annotations

import collections
import logging
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PY_SPY = str(Path(sys.executable).with_name("py-spy"))


@contextmanager
def profiled(pid: int, output: Path | None) -> Iterator[None]:
    """Sample ``pid`` (all its threads, idle ones left out), adding to ``output``."""
    if output is None:
        yield
        return
    if not shutil.which(PY_SPY):
        raise RuntimeError("py-spy is missing: run ./dev setup, which installs the bench extras")

    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_suffix(".part")
    argv = [PY_SPY, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
    recorder = subprocess.Popen(
        [*argv, "--output", str(part), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        # py-spy writes its profile when interrupted.
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)
    with output.open("a") as whole:
        whole.write(part.read_text())
    part.unlink()
    (output.with_suffix(".top.txt")).write_text(summarize(output))
    log.info("Profile of PID %d written to %s.", pid, output)


def summarize(collapsed: Path, top: int = 25) -> str:
    """The functions with the most samples, on the stack and at its top."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def table(counter: collections.Counter[str]) -> list[str]:
        return [f"{n / total:6.1%}  {frame}" for frame, n in counter.most_common(top)]

    return "\n".join(
        [
            f"{total} samples",
            "",
            "on the stack (inclusive):",
            *table(inclusive),
            "",
            "at the top of the stack (own time):",
            *table(own),
            "",
        ]
    )
