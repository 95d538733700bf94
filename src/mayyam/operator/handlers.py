"""The kopf handlers: they only watch, and start the tasks that act.

kopf watches MayyamClusters and Secrets in the namespace and passes every
event (the first listing included, so nothing is missed after a restart) to
the `ClusterMonitor`. Startup starts the monitor and the leader election as
two operator-wide tasks; cleanup releases the Lease and stops them.

There are deliberately no change handlers, timers, daemons or deletion
handlers: kopf would patch its bookkeeping into every object, and the last
three make it add a finalizer, which blocks deleting a MayyamCluster while
the operator is down. Watching Secrets adds nothing to them either.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import kopf

from mayyam.core import crd
from mayyam.operator.leader import LeaseElector
from mayyam.operator.monitor import ClusterMonitor

module_logger = logging.getLogger(__name__)


def register_handlers(
    registry: kopf.OperatorRegistry,
    monitor: ClusterMonitor,
    elector: LeaseElector | None,
    *,
    on_crash: Callable[[BaseException], None] | None = None,
) -> None:
    """Register the handlers in ``registry``.

    ``on_crash`` is told when a background task ends with an error, which
    leaves the operator unable to do its work.
    """
    tasks: dict[str, asyncio.Task[None]] = {}

    async def start_tasks(logger: kopf.Logger, **_: Any) -> None:
        tasks["monitor"] = _spawn("cluster monitor", monitor.run(), on_crash)
        if elector is not None:
            tasks["elector"] = _spawn("leader election", elector.run(), on_crash)
        else:
            logger.info("Leader election is off: this replica acts alone.")

    async def stop_tasks(**_: Any) -> None:
        # Stop competing first, so that the released Lease stays released.
        await _cancel(tasks.pop("elector", None))
        if elector is not None:
            await elector.release()
        await _cancel(tasks.pop("monitor", None))

    async def observe_cluster(event: kopf.RawEvent, **_: Any) -> None:
        monitor.observe_cluster(event.get("type"), event["object"])

    async def observe_secret(name: str, namespace: str | None, **_: Any) -> None:
        monitor.observe_secret(namespace or "", name)

    kopf.on.startup(id="start-tasks", registry=registry)(start_tasks)
    kopf.on.cleanup(id="stop-tasks", registry=registry)(stop_tasks)
    kopf.on.event(crd.GROUP, crd.VERSION, crd.PLURAL, id="observe-clusters", registry=registry)(
        observe_cluster
    )
    kopf.on.event("v1", "secrets", id="observe-secrets", registry=registry)(observe_secret)


class QuietObservers(logging.Filter):
    """Drop kopf's line about each successful observer call: there is one
    per event, and every status patch is an event."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Handler 'observe-") and message.endswith("succeeded."))


def quiet_observers() -> None:
    """Keep kopf from logging every event the observers are given."""
    objects = logging.getLogger("kopf.objects")
    if not any(isinstance(f, QuietObservers) for f in objects.filters):
        objects.addFilter(QuietObservers())


def _spawn(
    name: str,
    coroutine: Any,
    on_crash: Callable[[BaseException], None] | None,
) -> asyncio.Task[None]:
    task: asyncio.Task[None] = asyncio.create_task(coroutine, name=name)

    def report(done: asyncio.Task[None]) -> None:
        if done.cancelled() or done.exception() is None:
            return
        error = done.exception()
        assert error is not None
        module_logger.critical("The %s stopped with an error.", name, exc_info=error)
        if on_crash is not None:
            on_crash(error)

    task.add_done_callback(report)
    return task


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
