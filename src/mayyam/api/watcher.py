"""Keeping the registry in step with the management cluster.

Two background threads, one for MayyamClusters and one for Secrets, each
list the objects of the watched namespace and then watch for changes from
that list's resourceVersion. When a watch ends (it is renewed every
``watch_timeout`` seconds) or fails, the thread lists again, so a missed
event is repaired at the next renewal. Requests never wait for this work:
they read what the registry already holds.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kubernetes import watch
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi

from mayyam.api.config import ApiSettings
from mayyam.api.registry import ClusterRegistry
from mayyam.core import crd
from mayyam.core.errors import ClusterApiError, MayyamError
from mayyam.core.management import MANAGEMENT_CLUSTER
from mayyam.core.remote import call_cluster

logger = logging.getLogger(__name__)

#: Seconds to wait before listing again after a failure.
RETRY_DELAY = 5.0

#: A watch that ends sooner than this is followed by a pause, so that a
#: server that keeps closing watches at once is not listed in a tight loop.
SHORTEST_WATCH = 1.0


@dataclass(frozen=True)
class _Feed:
    """How to list and watch one kind, and where its objects go."""

    kind: str
    # A bound method of the client itself: its docstring tells the watch
    # which model to decode events into.
    list_method: Callable[..., Any]
    list_args: tuple[Any, ...]
    replace: Callable[[list[Any]], None]
    put: Callable[[Any], None]
    remove: Callable[[str], None]
    name_of: Callable[[Any], str]


class ClusterWatcher:
    """Feeds a `ClusterRegistry` from the management cluster."""

    def __init__(
        self, management: ApiClient, registry: ClusterRegistry, settings: ApiSettings
    ) -> None:
        self._settings = settings
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

        custom = CustomObjectsApi(management)
        core = CoreV1Api(management)
        self._feeds = [
            _Feed(
                kind=crd.PLURAL,
                list_method=custom.list_namespaced_custom_object,
                list_args=(crd.GROUP, crd.VERSION, settings.namespace, crd.PLURAL),
                replace=registry.replace_clusters,
                put=registry.put_cluster,
                remove=registry.remove_cluster,
                name_of=lambda obj: str(obj["metadata"]["name"]),
            ),
            _Feed(
                kind="secrets",
                list_method=core.list_namespaced_secret,
                list_args=(settings.namespace,),
                replace=registry.replace_secrets,
                put=registry.put_secret,
                remove=registry.remove_secret,
                name_of=lambda obj: str(obj.metadata.name),
            ),
        ]

    def start(self) -> None:
        """Start one daemon thread per kind."""
        for feed in self._feeds:
            thread = threading.Thread(
                target=self._follow, args=(feed,), name=f"watch-{feed.kind}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the threads to stop; a thread blocked in a watch ends with it."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)

    def _follow(self, feed: _Feed) -> None:
        while not self._stopping.is_set():
            try:
                version = self._list(feed)
                started = time.monotonic()
                self._watch(feed, version)
                if time.monotonic() - started < SHORTEST_WATCH:
                    self._stopping.wait(SHORTEST_WATCH)
            except ClusterApiError as e:
                # 410 Gone: the version is too old to watch from; list again.
                if e.status != 410:
                    self._pause_after(feed, e)
            except MayyamError as e:
                self._pause_after(feed, e)
            except Exception:
                if self._stopping.is_set():
                    return
                logger.exception("Watching %s failed unexpectedly.", feed.kind)
                self._stopping.wait(RETRY_DELAY)

    def _pause_after(self, feed: _Feed, error: MayyamError) -> None:
        if self._stopping.is_set():
            return
        logger.warning(
            "Watching %s in namespace %r failed (%s): %s Listing again in %.0fs.",
            feed.kind,
            self._settings.namespace,
            error.reason,
            error.message,
            RETRY_DELAY,
        )
        self._stopping.wait(RETRY_DELAY)

    def _list(self, feed: _Feed) -> str:
        """List all objects of a kind into the registry; return the list's version."""
        listing = call_cluster(
            MANAGEMENT_CLUSTER,
            feed.list_method,
            *feed.list_args,
            _request_timeout=self._settings.request_timeout,
        )
        if isinstance(listing, dict):
            items, version = listing.get("items", []), listing["metadata"]["resourceVersion"]
        else:
            items, version = listing.items, listing.metadata.resource_version

        feed.replace(list(items))
        logger.debug("Listed %d %s at version %s.", len(items), feed.kind, version)
        return str(version)

    def _watch(self, feed: _Feed, version: str) -> None:
        """Apply changes from ``version`` on until the watch ends."""
        events = watch.Watch().stream(
            feed.list_method,
            *feed.list_args,
            resource_version=version,
            timeout_seconds=self._settings.watch_timeout,
            _request_timeout=(self._settings.connect_timeout, self._settings.watch_timeout + 10),
        )
        # The stream is lazy: failures surface while it is read.
        call_cluster(MANAGEMENT_CLUSTER, self._apply_all, feed, events)

    def _apply_all(self, feed: _Feed, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            if self._stopping.is_set():
                return

            kind, obj = event.get("type"), event.get("object")
            if kind in ("ADDED", "MODIFIED"):
                feed.put(obj)
            elif kind == "DELETED":
                feed.remove(feed.name_of(obj))
