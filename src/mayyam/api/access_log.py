"""One log line per request, written when the response is finished.

The line names the method, the route template (not the raw path, so that
lines of one endpoint group together), the cluster, the user, the status
and the duration. Headers, query strings and bodies are never logged: they
may hold tokens and Secret values.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class AccessLogMiddleware:
    """ASGI middleware that logs every HTTP request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # The routes write the user here; make sure they share this dict.
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
            log_request(scope, status, time.perf_counter() - started)


def log_request(scope: Scope, status: int, duration: float) -> None:
    """Write the access log line of one request."""
    route = scope.get("route")
    route_path = getattr(route, "path", None) or scope.get("path", "")
    cluster = scope.get("path_params", {}).get("cluster_id", "-")
    user = scope["state"].get("user", "-")

    logger.info(
        "%s %s cluster=%s user=%s status=%d duration_ms=%.1f",
        scope["method"],
        route_path,
        cluster,
        user,
        status,
        duration * 1000,
        extra={
            "http_method": scope["method"],
            "http_route": route_path,
            "cluster": cluster,
            "user": user,
            "status": status,
            "duration_ms": round(duration * 1000, 1),
        },
    )
