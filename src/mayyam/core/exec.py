"""Running a command in a container, over Kubernetes' WebSocket channel protocol.

The official client's ``stream()`` helper patches the client it runs on and
holds a thread for as long as the command runs. Here each exec is a WebSocket
connection of its own, on the event loop: a command that runs too long is
given up by cancelling a coroutine, and no thread waits for it.

The protocol (``v5.channel.k8s.io``, else ``v4.channel.k8s.io``): every
binary message starts with a channel byte -- 0 stdin, 1 stdout, 2 stderr,
3 the command's final Status as JSON, 4 terminal resize; ``v5`` adds 255 to
close a stream. Mayyam sends no stdin and reads until the server closes.

Each output stream is kept up to a limit. What comes beyond it is read and
dropped rather than refused: the command runs to its end as it would
unobserved, Mayyam's memory stays bounded, and the exit code is still known.
"""

import json
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import should_bypass_proxies
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    InvalidStatus,
    WebSocketException,
)
from websockets.typing import Subprotocol

from mayyam.core.errors import (
    ClusterAccessError,
    ClusterTimeoutError,
    CredentialsError,
)
from mayyam.core.remote import api_error, transport_error

#: The versions of the channel protocol Mayyam speaks, preferred first.
SUBPROTOCOLS = (Subprotocol("v5.channel.k8s.io"), Subprotocol("v4.channel.k8s.io"))

STDOUT, STDERR, STATUS = 1, 2, 3

#: The longest single message accepted; servers send a few KiB at a time.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

#: Seconds to wait for the server's answer to our closing handshake.
CLOSE_TIMEOUT = 1.0


class _QuietLogger(logging.LoggerAdapter[logging.Logger]):
    """The WebSocket library's logger, without its debug lines: they show the
    request path, whose query holds the command and its arguments."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_websocket_logger = _QuietLogger(logging.getLogger(__name__), {})


@dataclass(frozen=True)
class ExecTarget:
    """What to run, and in which container."""

    namespace: str
    pod: str
    container: str
    command: tuple[str, ...]
    tty: bool = False

    def query(self) -> str:
        """The query string of the exec request; a TTY has no stderr of its own."""
        params = [("command", argument) for argument in self.command]
        params += [
            ("container", self.container),
            ("stdin", "false"),
            ("stdout", "true"),
            ("stderr", "false" if self.tty else "true"),
            ("tty", "true" if self.tty else "false"),
        ]
        return urlencode(params)


@dataclass(frozen=True)
class ExecEndpoint:
    """How to open an exec connection to one API server."""

    host: str
    ssl_context: ssl.SSLContext | None
    server_hostname: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    proxy: str | None = None

    def url_for(self, target: ExecTarget) -> str:
        """The WebSocket URL of ``target``'s exec subresource."""
        parts = urlsplit(self.host)
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = (
            f"{parts.path.rstrip('/')}/api/v1/namespaces/{quote(target.namespace, safe='')}"
            f"/pods/{quote(target.pod, safe='')}/exec"
        )
        return f"{scheme}://{parts.netloc}{path}?{target.query()}"


@dataclass
class CapturedStream:
    """One output stream, kept up to ``limit`` bytes; the rest is counted."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def add(self, chunk: bytes) -> None:
        kept = chunk[: self.limit - len(self.data)]
        self.data += kept
        self.dropped += len(chunk) - len(kept)


@dataclass(frozen=True)
class CommandStatus:
    """How a command ended: an exit code, or why it did not run to one."""

    exit_code: int | None
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class ExecOutcome:
    """What an exec produced: both output streams and the final status."""

    stdout: CapturedStream
    stderr: CapturedStream
    status: CommandStatus

    @property
    def truncated(self) -> bool:
        return self.stdout.truncated or self.stderr.truncated


def endpoint_of(client: ApiClient) -> ExecEndpoint:
    """Where and how ``client`` reaches its API server, for an exec connection.

    The TLS context is the one Mayyam installed in the client's pools when it
    built the client from a Secret, else one built from the client's
    configuration (the management cluster's client names files). Reads files
    for the latter: call it off the event loop.
    """
    configuration: Configuration = client.configuration
    host = str(configuration.host)
    context = None
    if urlsplit(host).scheme == "https":
        installed = client.rest_client.pool_manager.connection_pool_kw.get("ssl_context")
        context = installed or ssl_context_from(configuration)

    # The bearer token (a ServiceAccount's is re-read from its file here).
    bearer = configuration.auth_settings().get("BearerToken")
    headers = {"Authorization": bearer["value"]} if bearer and bearer["value"] else {}
    proxy = configuration.proxy
    if proxy and should_bypass_proxies(host, configuration.no_proxy or ""):
        proxy = None
    return ExecEndpoint(host, context, configuration.tls_server_name or None, headers, proxy)


def ssl_context_from(configuration: Configuration) -> ssl.SSLContext:
    """The TLS context that ``configuration``'s files and flags describe."""
    ca_data = configuration.ca_cert_data
    if isinstance(ca_data, bytes):
        ca_data = ca_data.decode()
    try:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert, cadata=ca_data)
        if configuration.cert_file:
            context.load_cert_chain(configuration.cert_file, configuration.key_file)
    except (OSError, ValueError) as e:
        raise CredentialsError(
            "The CA or client certificate files of the client's configuration cannot be read.",
            reason="InvalidCertificate",
        ) from e

    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif configuration.assert_hostname is False:
        context.check_hostname = False
    return context


async def run_command(
    cluster: str,
    endpoint: ExecEndpoint,
    target: ExecTarget,
    *,
    output_limit: int,
    connect_timeout: float,
) -> ExecOutcome:
    """Run ``target``'s command and collect its output and status.

    Raises `ClusterAccessError` when the exec cannot be opened or ends
    without a status. Does not limit how long the command runs: cancel the
    call (e.g. with ``asyncio.timeout``) to give it up.
    """
    stdout, stderr = CapturedStream(output_limit), CapturedStream(output_limit)
    status = bytearray()
    streams: dict[int, Callable[[bytes], object]] = {
        STDOUT: stdout.add,
        STDERR: stderr.add,
        STATUS: status.extend,
    }
    try:
        async with connect(
            endpoint.url_for(target),
            ssl=endpoint.ssl_context,
            server_hostname=endpoint.server_hostname if endpoint.ssl_context else None,
            additional_headers=dict(endpoint.headers),
            subprotocols=SUBPROTOCOLS,
            proxy=endpoint.proxy,
            open_timeout=connect_timeout,
            close_timeout=CLOSE_TIMEOUT,
            # The command may stay quiet for long; its timeout bounds it.
            ping_interval=None,
            compression=None,
            max_size=MAX_MESSAGE_BYTES,
            user_agent_header="mayyam",
            logger=_websocket_logger,
        ) as websocket:
            if websocket.subprotocol is None:
                raise _unsupported(cluster)
            await _receive(websocket, streams, status)
    except (WebSocketException, OSError, TimeoutError) as e:
        raise connection_error(cluster, e) from e

    if not status:
        raise _interrupted(cluster)
    return ExecOutcome(stdout, stderr, read_status(cluster, bytes(status)))


async def _receive(
    websocket: ClientConnection, streams: Mapping[int, Callable[[bytes], object]], status: bytearray
) -> None:
    """Hand each message's data to the stream of its channel, until the end.

    A server that drops the connection once it has sent the status has
    still said everything; without the status that is an error.
    """
    try:
        async for message in websocket:
            if isinstance(message, bytes) and message:
                add = streams.get(message[0])
                if add is not None:
                    add(message[1:])
    except ConnectionClosedError:
        if not status:
            raise


def read_status(cluster: str, body: bytes) -> CommandStatus:
    """Read the Status the server sends on the status channel at the end.

    ``Success`` is exit code 0; ``Failure`` with reason ``NonZeroExitCode``
    carries the code as the cause ``ExitCode``. Any other failure means the
    command did not run to an exit code: e.g. the runtime could not start
    it because the executable does not exist.
    """
    try:
        status = json.loads(body)
    except ValueError as e:
        raise ClusterAccessError(
            f"Cluster {cluster!r} sent an exec status that is not JSON.",
            cluster=cluster,
            reason="InvalidResponse",
        ) from e
    if not isinstance(status, dict):
        status = {}

    if status.get("status") == "Success":
        return CommandStatus(exit_code=0)
    reason, message = str(status.get("reason") or ""), str(status.get("message") or "")
    if reason == "NonZeroExitCode":
        code = _exit_code_cause(status)
        if code is not None:
            return CommandStatus(exit_code=code, reason=reason, message=message)
    return CommandStatus(exit_code=None, reason=reason or "Failure", message=message)


def _exit_code_cause(status: Mapping[str, Any]) -> int | None:
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    for cause in causes if isinstance(causes, list) else []:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", ""))
            except ValueError:
                return None
    return None


def connection_error(cluster: str, error: BaseException) -> ClusterAccessError:
    """Describe why an exec connection could not be opened or was lost."""
    if isinstance(error, InvalidStatus):
        # The API server refused the upgrade with a plain HTTP answer.
        response = error.response
        body = response.body.decode("utf-8", errors="replace") if response.body else None
        return api_error(cluster, ApiException(status=response.status_code, body=body))
    if isinstance(error, ConnectionClosed):
        return _interrupted(cluster)
    if isinstance(error, TimeoutError):
        return ClusterTimeoutError(
            f"Cluster {cluster!r} did not open the exec connection in time.",
            cluster=cluster,
            reason="Timeout",
        )
    if isinstance(error, WebSocketException):
        return ClusterAccessError(
            f"The exec connection to cluster {cluster!r} failed ({type(error).__name__}).",
            cluster=cluster,
            reason="InvalidResponse",
        )
    return transport_error(cluster, error)


def _interrupted(cluster: str) -> ClusterAccessError:
    return ClusterAccessError(
        f"The exec connection to cluster {cluster!r} ended before the command's status.",
        cluster=cluster,
        reason="ExecInterrupted",
    )


def _unsupported(cluster: str) -> ClusterAccessError:
    return ClusterAccessError(
        f"Cluster {cluster!r} speaks neither {' nor '.join(SUBPROTOCOLS)} for exec.",
        cluster=cluster,
        reason="UnsupportedProtocol",
    )
