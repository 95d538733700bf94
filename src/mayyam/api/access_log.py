"""One log line per request, an audit line per change, and the request metrics.

The access line names the method, the route template (not the raw path, so
that lines of one endpoint group together), the cluster, the user, the
status and the duration. Routes that change a cluster or run a command in
it leave an `AuditRecord` in the request's state, and the middleware writes
it as a second line, on the ``mayyam.audit`` logger, once the status is
known. Headers, query strings and bodies are never logged: they may hold
tokens, Secret values and command lines. What a client chose (the cluster
of the path, the user of the token) is written with its control characters
escaped, so that no request can add a line of its own to a text log.
"""

import logging
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mayyam.api.metrics import Metrics

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("mayyam.audit")


@dataclass
class AuditRecord:
    """Who changed what in which cluster: one audit line."""

    user: str
    cluster: str
    action: str
    namespace: str
    object: str

    @classmethod
    def for_request(cls, request: Request, user: str, cluster: str) -> "AuditRecord":
        """The record of a request, named after its route and the objects of its path.

        ``object`` is the path below the cluster (and below the namespace, for
        namespaced objects), e.g. ``deployments/web:scale``; a route that
        creates an object named in its body corrects it.
        """
        route = request.scope.get("route")
        action = getattr(route, "name", None) or request.method.lower()
        namespace = str(request.path_params.get("namespace", "-"))

        below = request.url.path.split(f"/clusters/{cluster}/", 1)[-1]
        if namespace != "-":
            below = below.removeprefix(f"namespaces/{namespace}/")
        return cls(user, cluster, action, namespace, below)


class AccessLogMiddleware:
    """ASGI middleware that logs and counts every HTTP request once."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # The routes write the user and the audit record here; share the dict.
        scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            duration = time.perf_counter() - started
            route = log_request(scope, status, duration)
            self.metrics.observe_request(scope["method"], route, status, duration)


def log_request(scope: Scope, status: int, duration: float) -> str:
    """Write the access log line (and audit line) of one request; return its route."""
    route = scope.get("route")
    # Unmatched paths are not routes: one label for all keeps metrics bounded.
    route_path = getattr(route, "path", None) or "unmatched"
    cluster = printable(scope.get("path_params", {}).get("cluster_id", "-"))
    user = printable(scope["state"].get("user", "-"))

    logger.info(
        "%s %s cluster=%s user=%s status=%d duration_ms=%.1f",
        scope["method"],
        route_path,
        cluster,
        user,
        status,
        duration * 1000,
        extra={
            "fields": {
                "http_method": scope["method"],
                "http_route": route_path,
                "cluster": cluster,
                "user": user,
                "status": status,
                "duration_ms": round(duration * 1000, 1),
            }
        },
    )

    record: AuditRecord | None = scope["state"].get("audit")
    if record is not None:
        record = AuditRecord(*(printable(value) for value in vars(record).values()))
        audit_logger.info(
            "%s by %s on cluster %s: namespace=%s object=%s status=%d",
            record.action,
            record.user,
            record.cluster,
            record.namespace,
            record.object,
            status,
            extra={"fields": {"audit": True, **vars(record), "status": status}},
        )
    return str(route_path)


#: The longest client-chosen value written to a log line.
MAX_LOGGED_LENGTH = 256


def printable(value: object) -> str:
    """``value`` as text fit for one log line: control characters escaped, bounded."""
    text = str(value)[:MAX_LOGGED_LENGTH]
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
