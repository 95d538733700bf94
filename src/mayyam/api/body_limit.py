"""Refuse request bodies larger than the settings allow, before a route sees them.

A body announced as too large by its ``Content-Length`` is refused at once.
A body sent in chunks, with no length announced, is read here first, up to
the limit, and handed on whole; past the limit the client gets 413 and the
route never runs. Either way the cluster is never called.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mayyam.api.errors import PayloadTooLargeError, error_response


class BodyLimitMiddleware:
    """ASGI middleware that caps the size of request bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None and announced.isdigit():
            if int(announced) > self.max_bytes:
                await self._refuse(scope, receive, send)
            else:
                # The server reads no more than the announced length.
                await self.app(scope, receive, send)
            return

        body = await self._read_within_limit(receive)
        if body is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_within_limit(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: the route will notice on its own.
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        response = error_response(413, PayloadTooLargeError.code, message)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
