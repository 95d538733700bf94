"""A slow cluster holds only its own worker threads, never those of others."""

import asyncio
import threading

import pytest

from mayyam.api.concurrency import ClusterThreads
from mayyam.core.errors import ClusterUnreachableError


def test_calls_beyond_a_clusters_limit_wait_while_other_clusters_go_on() -> None:
    threads = ClusterThreads(per_cluster=2)
    release = threading.Event()
    lock = threading.Lock()
    running = peak = 0

    def hang() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(30)
        with lock:
            running -= 1

    async def scenario() -> str:
        stuck = [asyncio.create_task(threads.call("stuck", hang)) for _ in range(6)]
        await asyncio.sleep(0.1)
        # Answered while every call to the stuck cluster still hangs.
        answer = await asyncio.wait_for(threads.call("healthy", str, "answered"), 10)
        release.set()
        await asyncio.gather(*stuck)
        return answer

    assert asyncio.run(scenario()) == "answered"
    assert peak == 2


def test_failures_of_a_call_become_cluster_errors() -> None:
    threads = ClusterThreads(per_cluster=1)

    def refuse() -> None:
        raise ConnectionRefusedError("refused")

    with pytest.raises(ClusterUnreachableError):
        asyncio.run(threads.call("c", refuse))
