"""Latency and throughput of a request, at a given number of concurrent clients."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Timings of one scenario: every request's latency, and the wall time of all."""

    latencies: list[float]
    wall: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def throughput(self) -> float:
        """Requests per second over the whole run."""
        return len(self.latencies) / self.wall


async def measure_async(
    request: Callable[[], Awaitable[None]], total: int, concurrency: int, warmup: int = 5
) -> Sample:
    """Run ``request`` ``total`` times from ``concurrency`` concurrent clients."""
    for _ in range(warmup):
        await request()

    latencies: list[float] = []
    remaining = iter(range(total))

    async def client() -> None:
        for _ in remaining:
            started = time.perf_counter()
            await request()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Sample(latencies, time.perf_counter() - started)


def measure_command(argv: list[str], total: int, concurrency: int, warmup: int = 2) -> Sample:
    """Run a command ``total`` times from ``concurrency`` parallel workers."""

    def once() -> float:
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started

    for _ in range(warmup):
        once()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(lambda _: once(), range(total)))
    return Sample(latencies, time.perf_counter() - started)
