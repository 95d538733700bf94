"""Worker threads for calls to clusters, bounded per cluster.

The official Kubernetes client blocks, so every call runs in a worker
thread. Python's default executor has only a handful of threads on a small
machine, and one shared pool would let a slow or unreachable cluster hold
every thread until its timeouts expire, stalling requests to all other
clusters. Each cluster therefore gets a limit of its own on how many of its
calls run at once; calls beyond it wait for that cluster only.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from mayyam.core.remote import call_cluster

T = TypeVar("T")


class ClusterThreads:
    """Runs blocking cluster calls in threads, at most ``per_cluster`` at once each."""

    def __init__(self, per_cluster: int) -> None:
        self.per_cluster = per_cluster
        # Limiters belong to the event loop; they are made on first use.
        self._limiters: dict[str, CapacityLimiter] = {}

    async def call(self, cluster: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`call_cluster` in a worker thread, within the cluster's limit."""
        limiter = self._limiters.get(cluster)
        if limiter is None:
            limiter = self._limiters.setdefault(cluster, CapacityLimiter(self.per_cluster))
        call = functools.partial(call_cluster, cluster, fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=limiter)

    def forget(self, cluster: str) -> None:
        """Drop the limiter of a cluster that is no longer registered."""
        self._limiters.pop(cluster, None)
