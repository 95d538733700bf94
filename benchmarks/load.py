"""Latency and throughput of a request, at a given number of concurrent clients."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Timings of one scenario: every request's latency, the wall time of all,
    and the CPU time the load generator itself used meanwhile."""

    latencies: list[float]
    wall: float
    client_cpu: float = 0.0
    #: CPU time Mayyam's API used meanwhile, where it served the requests.
    server_cpu: float = 0.0

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

    @property
    def client_cpu_percent(self) -> float:
        """The load generator's CPU use, in percent of one core."""
        return self.client_cpu / self.wall * 100

    def summary(self) -> dict[str, float]:
        """The figures of this sample, for the raw results."""
        return {
            "requests": len(self.latencies),
            "median_ms": round(self.median_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "throughput_per_s": round(self.throughput, 1),
            "client_cpu_percent": round(self.client_cpu_percent, 1),
            "api_cpu_ms_per_request": round(self.server_cpu_ms_per_request, 2),
        }

    @property
    def server_cpu_ms_per_request(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000


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

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Sample(latencies, time.perf_counter() - started, time.process_time() - cpu)


def measure_command(argv: list[str], total: int, concurrency: int, warmup: int = 2) -> Sample:
    """Run a command ``total`` times from ``concurrency`` parallel workers.

    The CPU time of the commands themselves is counted as the client's.
    """

    def once() -> float:
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started

    for _ in range(warmup):
        once()
    started, cpu = time.perf_counter(), _children_cpu()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(lambda _: once(), range(total)))
    return Sample(latencies, time.perf_counter() - started, _children_cpu() - cpu)


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system
