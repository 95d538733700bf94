"""Refuse request bodies larger than the settings allow, before reading them.

A body announced as too large by its ``Content-Length`` is refused at once;
a body sent in chunks is counted while it is read, and the request fails
as soon as it passes the limit. Either way the answer is 413 and the
cluster is never called.
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
        if announced is not None and announced.isdigit() and int(announced) > self.max_bytes:
            response = error_response(413, PayloadTooLargeError.code, self._message())
            await response(scope, receive, send)
            return

        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self._message())
            return message

        await self.app(scope, receive_counted, send)

    def _message(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."
