"""The exec client against a small WebSocket server speaking Kubernetes' channel protocol.

The server listens on 127.0.0.1 with a certificate of the test CA, answers
with the messages a test gives it, and records what the client asked for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_kubernetes import Authority, status_object
from kubernetes.client import ApiClient, Configuration
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from mayyam.core.credentials import ClusterEndpoint, client_for_endpoint
from mayyam.core.errors import (
    ClusterAccessError,
    ClusterApiError,
    ClusterUnreachableError,
    CredentialsError,
)
from mayyam.core.exec import (
    CommandStatus,
    ExecEndpoint,
    ExecOutcome,
    ExecTarget,
    endpoint_of,
    read_status,
    run_command,
    ssl_context_from,
)
from mayyam.core.tls import TlsSettings, build_ssl_context

TOKEN = "exec-test-token"
TARGET = ExecTarget("apps", "web", "app", ("sh", "-c", "echo hello; exit 3"))

#: The fake server's own debug lines would show the request; only the
#: client's logging is under test.
SERVER_LOGGER = logging.getLogger("tests.fake_exec_server")
SERVER_LOGGER.setLevel(logging.WARNING)

SUCCESS = json.dumps({"metadata": {}, "status": "Success"}).encode()


def exit_status(code: int) -> bytes:
    """The Status the API server sends for a command that exited with ``code``."""
    return json.dumps(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: exit status {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    ).encode()


def frame(channel: int, data: bytes) -> bytes:
    return bytes([channel]) + data


@dataclass
class FakeExecServer:
    """What the server sends, and what it saw of each connection."""

    messages: list[bytes | str] = field(default_factory=list)
    subprotocols: list[str] | None = field(
        default_factory=lambda: ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    )
    refuse: tuple[int, str] | None = None
    hang: bool = False
    abort: bool = False
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    chosen: list[str | None] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        self.headers.append({k.lower(): v for k, v in request.headers.raw_items()})
        if self.refuse is not None:
            return connection.respond(*self.refuse)
        return None

    async def handle(self, connection: ServerConnection) -> None:
        self.chosen.append(connection.subprotocol)
        for message in self.messages:
            await connection.send(message)
        if self.abort:
            connection.transport.abort()
            return
        if self.hang:
            await connection.wait_closed()
            self.closed.set()


@pytest.fixture(scope="module")
def server_context(
    authority: Authority, tmp_path_factory: pytest.TempPathFactory
) -> ssl.SSLContext:
    cert, key = authority.issue_server_certificate(tmp_path_factory.mktemp("exec-server"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def client_context(authority: Authority) -> ssl.SSLContext:
    return build_ssl_context(TlsSettings(ca_pem=authority.pem))


Exchange = Callable[[ExecEndpoint], Awaitable[Any]]


def against(
    fake: FakeExecServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext | None,
    exchange: Exchange,
    *,
    server_hostname: str | None = None,
) -> Any:
    """Serve ``fake`` on 127.0.0.1 and run ``exchange`` with an endpoint for it."""

    async def main() -> Any:
        async with serve(
            fake.handle,
            "127.0.0.1",
            0,
            ssl=server_context,
            subprotocols=fake.subprotocols,  # type: ignore[arg-type]
            process_request=fake.process_request,
            logger=SERVER_LOGGER,
        ) as server:
            port = server.sockets[0].getsockname()[1]
            endpoint = ExecEndpoint(
                f"https://127.0.0.1:{port}",
                client_context,
                server_hostname,
                {"Authorization": f"Bearer {TOKEN}"},
            )
            return await exchange(endpoint)

    return asyncio.run(main())


def run(endpoint: ExecEndpoint, target: ExecTarget = TARGET, limit: int = 1024) -> Any:
    return run_command("fake", endpoint, target, output_limit=limit, connect_timeout=2.0)


def test_output_and_exit_code_are_read_from_their_channels(server_context, client_context) -> None:
    fake = FakeExecServer(
        [frame(1, b"hello\n"), frame(2, b"oops\n"), frame(1, b"again\n"), frame(3, exit_status(3))]
    )

    outcome: ExecOutcome = against(fake, server_context, client_context, run)

    assert bytes(outcome.stdout.data) == b"hello\nagain\n"
    assert bytes(outcome.stderr.data) == b"oops\n"
    assert outcome.status.exit_code == 3
    assert not outcome.truncated
    assert fake.chosen == ["v5.channel.k8s.io"]


def test_the_request_names_the_command_container_and_streams(
    server_context, client_context
) -> None:
    fake = FakeExecServer([frame(3, SUCCESS)])

    against(fake, server_context, client_context, run)

    [path] = fake.paths
    url = urlsplit(path)
    query = parse_qs(url.query)
    assert url.path == "/api/v1/namespaces/apps/pods/web/exec"
    assert query["command"] == ["sh", "-c", "echo hello; exit 3"]
    assert query["container"] == ["app"]
    assert (query["stdin"], query["stdout"], query["stderr"], query["tty"]) == (
        ["false"],
        ["true"],
        ["true"],
        ["false"],
    )
    assert fake.headers[0]["authorization"] == f"Bearer {TOKEN}"
    assert fake.headers[0]["sec-websocket-protocol"] == "v5.channel.k8s.io, v4.channel.k8s.io"


def test_a_tty_asks_for_no_stderr_of_its_own() -> None:
    target = ExecTarget("apps", "web", "app", ("top",), tty=True)

    query = parse_qs(urlsplit(ExecEndpoint("https://h:6443/prefix", None).url_for(target)).query)

    assert query["tty"] == ["true"]
    assert query["stderr"] == ["false"]


def test_a_path_prefix_of_the_server_url_is_kept() -> None:
    url = ExecEndpoint("https://proxy.test/k8s/clusters/c1/", None).url_for(TARGET)

    assert url.startswith("wss://proxy.test/k8s/clusters/c1/api/v1/namespaces/apps/pods/web/exec?")


def test_a_server_that_speaks_only_v4_is_used_with_v4(server_context, client_context) -> None:
    fake = FakeExecServer([frame(1, b"hi"), frame(3, SUCCESS)], subprotocols=["v4.channel.k8s.io"])

    outcome = against(fake, server_context, client_context, run)

    assert fake.chosen == ["v4.channel.k8s.io"]
    assert outcome.status.exit_code == 0
    assert bytes(outcome.stdout.data) == b"hi"


def test_a_server_that_speaks_neither_version_is_refused(server_context, client_context) -> None:
    fake = FakeExecServer([frame(3, SUCCESS)], subprotocols=None)

    with pytest.raises(ClusterAccessError) as raised:
        against(fake, server_context, client_context, run)

    assert raised.value.reason == "UnsupportedProtocol"


def test_output_beyond_the_limit_is_dropped_but_read_to_the_exit_code(
    server_context, client_context
) -> None:
    fake = FakeExecServer(
        [
            frame(1, b"0123456789"),
            frame(1, b"abcdefghij"),
            frame(2, b"ok"),
            frame(3, exit_status(7)),
        ]
    )

    outcome = against(fake, server_context, client_context, lambda e: run(e, limit=15))

    assert bytes(outcome.stdout.data) == b"0123456789abcde"
    assert outcome.stdout.dropped == 5 and outcome.stdout.truncated
    assert bytes(outcome.stderr.data) == b"ok" and not outcome.stderr.truncated
    assert outcome.truncated
    assert outcome.status.exit_code == 7


def test_bytes_that_are_not_utf8_are_kept_as_they_came(server_context, client_context) -> None:
    fake = FakeExecServer([frame(1, b"\xff\xfe\x00"), frame(3, SUCCESS)])

    outcome = against(fake, server_context, client_context, run)

    assert bytes(outcome.stdout.data) == b"\xff\xfe\x00"


def test_messages_of_other_channels_and_text_messages_are_ignored(
    server_context, client_context
) -> None:
    fake = FakeExecServer([b"\x04{}", "text", b"", frame(1, b"out"), frame(3, SUCCESS)])

    outcome = against(fake, server_context, client_context, run)

    assert bytes(outcome.stdout.data) == b"out"
    assert outcome.status.exit_code == 0


def test_a_refused_upgrade_passes_the_remote_status_on(server_context, client_context) -> None:
    body = status_object(403, "Forbidden", 'pods "web" is forbidden: cannot create pods/exec')
    fake = FakeExecServer(refuse=(403, json.dumps(body)))

    with pytest.raises(ClusterApiError) as raised:
        against(fake, server_context, client_context, run)

    assert raised.value.status == 403
    assert raised.value.reason == "Forbidden"
    assert "cannot create pods/exec" in raised.value.message


def test_a_connection_that_ends_before_the_status_is_an_error(
    server_context, client_context
) -> None:
    for fake in (
        FakeExecServer([frame(1, b"partial")]),
        FakeExecServer([frame(1, b"x")], abort=True),
    ):
        with pytest.raises(ClusterAccessError) as raised:
            against(fake, server_context, client_context, run)

        assert raised.value.reason == "ExecInterrupted"


def test_a_connection_dropped_after_the_status_has_said_everything(
    server_context, client_context
) -> None:
    fake = FakeExecServer([frame(1, b"done"), frame(3, SUCCESS)], abort=True)

    outcome = against(fake, server_context, client_context, run)

    assert outcome.status.exit_code == 0
    assert bytes(outcome.stdout.data) == b"done"


def test_a_command_that_runs_too_long_is_given_up_and_its_connection_closed(
    server_context, client_context
) -> None:
    fake = FakeExecServer([frame(1, b"working")], hang=True)

    async def exchange(endpoint: ExecEndpoint) -> float:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await run(endpoint)
        await asyncio.wait_for(fake.closed.wait(), 2)
        return time.monotonic() - started

    elapsed = against(fake, server_context, client_context, exchange)

    assert elapsed < 2


def test_a_server_certificate_of_another_ca_fails_verification(server_context) -> None:
    other = build_ssl_context(TlsSettings(ca_pem=Authority.create("another-ca").pem))

    with pytest.raises(ClusterUnreachableError) as raised:
        against(FakeExecServer([frame(3, SUCCESS)]), server_context, other, run)

    assert raised.value.reason == "TLSVerificationFailed"


def test_the_tls_server_name_is_the_name_checked(server_context, client_context) -> None:
    """The test certificate names 127.0.0.1 only, so another name must fail."""
    fake = FakeExecServer([frame(3, SUCCESS)])

    with pytest.raises(ClusterUnreachableError) as raised:
        against(fake, server_context, client_context, run, server_hostname="api.internal")

    assert raised.value.reason == "TLSVerificationFailed"


def test_a_closed_port_is_reported_as_refused(client_context, closed_port: int) -> None:
    endpoint = ExecEndpoint(f"https://127.0.0.1:{closed_port}", client_context)

    with pytest.raises(ClusterUnreachableError) as raised:
        asyncio.run(run(endpoint))

    assert raised.value.reason == "ConnectionRefused"


def test_the_command_is_never_logged_even_at_debug_level(
    server_context, client_context, caplog: pytest.LogCaptureFixture
) -> None:
    target = ExecTarget("apps", "web", "app", ("echo", "secret-argument"))
    fake = FakeExecServer([frame(1, b"secret-output"), frame(3, SUCCESS)])

    with caplog.at_level(logging.DEBUG):
        against(fake, server_context, client_context, lambda e: run(e, target))

    assert "secret-argument" not in caplog.text
    assert "secret-output" not in caplog.text


def test_an_endpoint_uses_the_tls_context_and_token_of_a_cluster_client(
    authority: Authority,
) -> None:
    tls = TlsSettings(ca_pem=authority.pem, server_name="api.internal")
    client = client_for_endpoint(ClusterEndpoint("https://127.0.0.1:6443", tls, token=TOKEN))

    endpoint = endpoint_of(client)

    installed = client.rest_client.pool_manager.connection_pool_kw["ssl_context"]
    assert endpoint.ssl_context is installed
    assert endpoint.host == "https://127.0.0.1:6443"
    assert endpoint.server_hostname == "api.internal"
    assert endpoint.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert endpoint.proxy is None
    client.close()


def test_an_endpoint_of_a_client_configured_with_files_reaches_the_server(
    authority: Authority, server_context, tmp_path: Path
) -> None:
    """The management cluster's client names its CA as a file, as in a Pod."""
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(authority.pem)
    fake = FakeExecServer([frame(1, b"via files"), frame(3, SUCCESS)])

    async def exchange(endpoint: ExecEndpoint) -> ExecOutcome:
        configuration = Configuration(host=endpoint.host, api_key={"BearerToken": "from-file"})
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
        configuration.ssl_ca_cert = str(ca_file)
        with ApiClient(configuration) as client:
            found = endpoint_of(client)
        assert found.headers == {"Authorization": "Bearer from-file"}
        return await run(found)

    outcome = against(fake, server_context, None, exchange)

    assert bytes(outcome.stdout.data) == b"via files"
    assert fake.headers[0]["authorization"] == "Bearer from-file"


def test_unreadable_tls_files_of_a_configuration_are_a_credentials_error(tmp_path: Path) -> None:
    configuration = Configuration(host="https://127.0.0.1:6443")
    configuration.ssl_ca_cert = str(tmp_path / "missing.crt")

    with pytest.raises(CredentialsError) as raised:
        ssl_context_from(configuration)

    assert raised.value.reason == "InvalidCertificate"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (SUCCESS, CommandStatus(exit_code=0)),
        (
            exit_status(3),
            CommandStatus(
                3, "NonZeroExitCode", "command terminated with non-zero exit code: exit status 3"
            ),
        ),
        (
            json.dumps(
                {
                    "status": "Failure",
                    "reason": "InternalError",
                    "message": 'exec: "nosuch": executable file not found in $PATH',
                }
            ).encode(),
            CommandStatus(
                None, "InternalError", 'exec: "nosuch": executable file not found in $PATH'
            ),
        ),
        (
            json.dumps({"status": "Failure", "reason": "NonZeroExitCode", "message": "?"}).encode(),
            CommandStatus(None, "NonZeroExitCode", "?"),
        ),
        (b'{"status": "Failure"}', CommandStatus(None, "Failure", "")),
        (b"[]", CommandStatus(None, "Failure", "")),
    ],
    ids=["success", "exit-code", "not-started", "code-missing", "bare-failure", "not-an-object"],
)
def test_the_status_channel_gives_the_exit_code(body: bytes, expected: CommandStatus) -> None:
    assert read_status("fake", body) == expected


def test_a_status_that_is_not_json_is_an_invalid_response() -> None:
    with pytest.raises(ClusterAccessError) as raised:
        read_status("fake", b"Internal error")

    assert raised.value.reason == "InvalidResponse"
