"""A fake Kubernetes API server for unit tests, on 127.0.0.1 only.

It speaks HTTPS with a certificate from a throwaway CA, checks the bearer
token, and answers from a table of canned responses, or else from a store
of objects that writes change. That is enough to test what Mayyam does with
answers and failures without a real cluster.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Authority:
    """A certificate authority, with its certificate as PEM text."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @classmethod
    def create(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def issue_server_certificate(self, directory: Path) -> tuple[Path, Path]:
        """Write a certificate for 127.0.0.1 and its key; return both paths."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        certificate = (
            _builder(subject, self.certificate.subject, key.public_key())
            .add_extension(san, critical=False)
            .sign(self.key, hashes.SHA256())
        )

        cert_path, key_path = directory / "server.crt", directory / "server.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    def issue_client_certificate(self, name: str) -> tuple[str, str]:
        """A client certificate for ``name`` and its key, both as PEM text."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = _builder(subject, self.certificate.subject, key.public_key()).sign(
            self.key, hashes.SHA256()
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
    )


def status_object(code: int, reason: str, message: str) -> dict[str, Any]:
    """A Kubernetes Status object, as the API server sends with errors."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }


@dataclass(frozen=True)
class Received:
    """A request the fake received: its method, path, content type and JSON body."""

    method: str
    path: str
    content_type: str | None = None
    body: Any = None


@dataclass
class FakeKubernetes:
    """Canned answers by method and path; every request must carry ``token``.

    ``delay`` slows every answer, ``delays`` the answers of single paths.
    ``requests`` holds the path of every request, ``queries`` the query of
    every read, ``received`` the whole request, bodies of writes included.
    A request without a canned answer is served from ``objects``, a store
    of objects by path that POST, PUT and DELETE change the way the API
    server does (see `serve_stored`);
    `fail_once` makes single requests fail before any answer.
    """

    token: str
    responses: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    delay: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    url: str = ""
    _version: int = 100

    def answer(
        self, path: str, body: dict[str, Any], status: int = 200, method: str = "GET"
    ) -> None:
        self.responses[_key(method, path)] = (status, body)

    def fail_once(
        self, method: str, path: str, status: int, reason: str, message: str = "injected"
    ) -> None:
        """Make the next ``method`` on ``path`` fail with a Status of ``reason``."""
        failure = (status, status_object(status, reason, message))
        self.failures.setdefault((method, path), []).append(failure)

    def writes(self) -> list[Received]:
        """The requests that were not reads."""
        return [request for request in self.received if request.method != "GET"]

    def watch_events(self, path: str) -> list[dict[str, Any]]:
        """The events a watch of ``path`` gets; it then ends, as on a timeout.

        Each watch hands out the events once, the way a resumed watch does.
        """
        return self.events.pop(path, [])

    def respond(
        self, path: str, authorization: str | None, request: Received | None = None
    ) -> tuple[int, dict[str, Any]]:
        path = path.rstrip("/") or "/"
        request = request or Received("GET", path)
        self.requests.append(path)
        self.received.append(request)
        time.sleep(self.delays.get(path, self.delay))
        if authorization != f"Bearer {self.token}":
            return 401, status_object(401, "Unauthorized", "Unauthorized")

        if self.failures.get((request.method, path)):
            return self.failures[(request.method, path)].pop(0)
        if _key(request.method, path) in self.responses:
            return self.responses[_key(request.method, path)]
        return self.serve_stored(request.method, path, request.body)

    def serve_stored(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any]]:
        """Serve ``objects``: read, create (POST to the collection), replace, delete.

        PATCH is not merged into stored objects: its answers come from `answer`.
        """
        if method == "POST":
            assert body is not None
            path = f"{path}/{body['metadata']['name']}"
        current = self.objects.get(path)
        if method == "POST" and current is not None:
            return 409, status_object(409, "AlreadyExists", f"{path} already exists")
        if current is None and method != "POST":
            return 404, status_object(404, "NotFound", f"the server could not find {path}")
        if method == "GET":
            return 200, current
        if method == "DELETE":
            del self.objects[path]
            return 200, {"kind": "Status", "status": "Success"}
        if method not in ("POST", "PUT"):
            return 405, status_object(405, "MethodNotAllowed", f"{method} of a stored object")

        assert body is not None
        given = body["metadata"].get("resourceVersion")
        if method == "PUT" and given and given != current["metadata"]["resourceVersion"]:
            return 409, status_object(409, "Conflict", "the object has been modified")
        self._version += 1
        body["metadata"]["resourceVersion"] = str(self._version)
        self.objects[path] = body
        return (201 if method == "POST" else 200), body


def _key(method: str, path: str) -> str:
    """Reads are keyed by path alone, other methods by method and path."""
    path = path.rstrip("/") or "/"
    return path if method == "GET" else f"{method} {path}"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that give up early (timeouts, TLS failures) are expected."""


def serve(fake: FakeKubernetes, authority: Authority, directory: Path) -> ThreadingHTTPServer:
    """Serve ``fake`` over HTTPS on a free port of 127.0.0.1, in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            fake.queries.append(query)
            status, body = fake.respond(path, self.headers.get("Authorization"))
            if status == 200 and "watch=true" in query.split("&"):
                lines = [json.dumps(event) for event in fake.watch_events(path.rstrip("/"))]
                payload = "".join(f"{line}\n" for line in lines).encode()
            else:
                payload = json.dumps(body).encode()
            self._send(status, payload)

        def do_WRITE(self) -> None:
            path = self.path.partition("?")[0].rstrip("/") or "/"
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Received(
                self.command,
                path,
                self.headers.get("Content-Type"),
                json.loads(raw) if raw else None,
            )
            status, body = fake.respond(path, self.headers.get("Authorization"), request)
            self._send(status, json.dumps(body).encode())

        do_POST = do_PUT = do_PATCH = do_DELETE = do_WRITE

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    cert_path, key_path = authority.issue_server_certificate(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.url = f"https://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
