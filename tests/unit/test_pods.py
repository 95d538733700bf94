"""Exec and Pod Events: parsing, container choice, results, ordering, errors.

The WebSocket protocol itself is tested in test_exec_protocol.py; here the
route's own decisions are tested, with the exec replaced where it would run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
from fake_kubernetes import FakeKubernetes
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import ValidationError

from mayyam.api import ApiSettings
from mayyam.api.auth import issue_token
from mayyam.api.errors import BadRequestError, ConflictError
from mayyam.api.routes import pods
from mayyam.core.exec import CapturedStream, CommandStatus, ExecOutcome, ExecTarget

POD_PATH = "/api/v1/namespaces/apps/pods/web"
EXEC = "/api/kubernetes/clusters/fake/namespaces/apps/pods/web/exec"
EVENTS = "/api/kubernetes/clusters/fake/namespaces/apps/pods/web/events"


def container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "busybox"}


def make_pod(
    containers: tuple[str, ...] = ("app",),
    states: dict[str, dict[str, Any]] | None = None,
    phase: str = "Running",
    annotations: dict[str, str] | None = None,
    init: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A Pod whose containers are running unless ``states`` says otherwise."""
    states = states or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "uid": "uid-1",
            "annotations": annotations,
        },
        "spec": {
            "containers": [container(n) for n in containers],
            "initContainers": [container(n) for n in init] or None,
        },
        "status": {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": n,
                    "state": states.get(n, {"running": {"startedAt": "2025-01-01T00:00:00Z"}}),
                }
                for n in containers
            ],
        },
    }


def outcome(
    stdout: bytes = b"", stderr: bytes = b"", status: CommandStatus | None = None, limit: int = 100
) -> ExecOutcome:
    out, err = CapturedStream(limit), CapturedStream(limit)
    out.add(stdout)
    err.add(stderr)
    return ExecOutcome(out, err, status or CommandStatus(exit_code=0))


class FakeRun:
    """Stands in for `run_command`: records the target and answers ``result``."""

    def __init__(self, result: ExecOutcome | None = None, delay: float = 0.0) -> None:
        self.result = result or outcome(b"hello\n")
        self.delay = delay
        self.targets: list[ExecTarget] = []

    async def __call__(self, cluster: str, endpoint: Any, target: ExecTarget, **kwargs: Any):
        self.targets.append(target)
        await asyncio.sleep(self.delay)
        return self.result


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    fake = FakeRun()
    monkeypatch.setattr(pods, "run_command", fake)
    return fake


def headers_for(settings: ApiSettings, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='alice', roles=roles)}"}


@pytest.fixture
def admin(settings: ApiSettings) -> dict[str, str]:
    return headers_for(settings, "admin")


# Parsing the command.


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("echo hello", ("echo", "hello")),
        ("sh -c 'echo hello && uname -a'", ("sh", "-c", "echo hello && uname -a")),
        ('printf "%s\\n" a\\ b', ("printf", "%s\\n", "a b")),
        ('echo "unbalanced', ('echo "unbalanced',)),
        ("/tmp/it's", ("/tmp/it's",)),
        ("trailing\\", ("trailing\\",)),
    ],
)
def test_a_command_is_split_like_shell_words_or_kept_whole(command: str, argv: tuple) -> None:
    assert pods.parse_command(command) == argv


@pytest.mark.parametrize("command", ["   ", "''", '"" arg'])
def test_an_empty_command_is_refused(command: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        pods.parse_command(command)

    [error] = raised.value.errors()
    assert error["loc"] == ("query", "command")
    assert "empty" in error["msg"]


# Choosing the container.


def test_the_only_container_is_chosen_by_default() -> None:
    assert pods.choose_container(make_pod(("app",)), None) == "app"


def test_the_default_container_annotation_wins() -> None:
    pod = make_pod(("app", "log"), annotations={pods.DEFAULT_CONTAINER_ANNOTATION: "log"})

    assert pods.choose_container(pod, None) == "log"


def test_several_containers_without_annotation_are_refused_by_name() -> None:
    with pytest.raises(BadRequestError) as raised:
        pods.choose_container(make_pod(("app", "log"), init=("setup",)), None)

    assert "containers: app, log; init containers: setup" in raised.value.message
    assert pods.DEFAULT_CONTAINER_ANNOTATION in raised.value.message


def test_an_annotation_naming_no_container_does_not_choose() -> None:
    pod = make_pod(("app", "log"), annotations={pods.DEFAULT_CONTAINER_ANNOTATION: "gone"})

    with pytest.raises(BadRequestError):
        pods.choose_container(pod, None)


def test_a_named_container_must_exist_and_may_be_an_init_container() -> None:
    pod = make_pod(("app", "log"), init=("sidecar",))

    assert pods.choose_container(pod, "log") == "log"
    assert pods.choose_container(pod, "sidecar") == "sidecar"
    with pytest.raises(BadRequestError) as raised:
        pods.choose_container(pod, "db")
    assert "no container 'db'" in raised.value.message
    assert "app, log" in raised.value.message


# Refusing containers that do not run.


def test_a_running_container_is_accepted() -> None:
    pods.check_running(make_pod(), "app")


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (
            make_pod(states={"app": {"waiting": {"reason": "ErrImageNeverPull"}}}, phase="Pending"),
            "is waiting (ErrImageNeverPull)",
        ),
        (
            make_pod(states={"app": {"terminated": {"reason": "Error", "exitCode": 1}}}),
            "has terminated (Error)",
        ),
        ({**make_pod(phase="Pending"), "status": {"phase": "Pending"}}, "has not started"),
        (make_pod(phase="Succeeded"), "has completed (phase Succeeded)"),
    ],
    ids=["waiting", "terminated", "unscheduled", "completed"],
)
def test_a_container_that_does_not_run_is_a_conflict(pod: dict, expected: str) -> None:
    with pytest.raises(ConflictError) as raised:
        pods.check_running(pod, "app")

    assert expected in raised.value.message


# Decoding the output.


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    stream = CapturedStream(100)
    stream.add(b"ok \xff\xfe!")

    assert pods.decode_output(stream) == "ok \ufffd\ufffd!"


def test_a_character_cut_by_the_limit_is_left_out() -> None:
    stream = CapturedStream(4)
    stream.add("abé".encode())  # é takes two bytes
    stream.add("dé".encode())

    assert bytes(stream.data) == b"ab\xc3\xa9"
    assert pods.decode_output(stream) == "abé"

    cut = CapturedStream(3)
    cut.add("abé".encode())
    assert cut.truncated
    assert pods.decode_output(cut) == "ab"


def test_an_incomplete_character_at_the_end_of_whole_output_is_replaced() -> None:
    stream = CapturedStream(100)
    stream.add(b"ab\xc3")

    assert pods.decode_output(stream) == "ab\ufffd"


# Ordering Events.


def event(name: str, **times: str | None) -> dict[str, Any]:
    metadata = {"name": name, "creationTimestamp": times.pop("creationTimestamp", None)}
    return {"metadata": metadata, **times}


def test_events_are_ordered_by_their_first_set_time_and_nulls_do_not_crash() -> None:
    events = [
        event("d", eventTime=None, lastTimestamp="2025-01-01T00:00:04Z"),
        event("b", eventTime="2025-01-01T00:00:01.500000Z", lastTimestamp=None),
        event("e", creationTimestamp="2025-01-01T00:00:05Z"),
        event("c", firstTimestamp="2025-01-01T00:00:02Z", lastTimestamp=None),
        event("a", lastTimestamp="2025-01-01T00:00:01Z"),
        event("none"),
        event("junk", eventTime="not a time", lastTimestamp="2025-01-01T00:00:03Z"),
    ]

    ordered = [e["metadata"]["name"] for e in sorted(events, key=pods.event_order)]

    assert ordered == ["none", "a", "b", "c", "junk", "d", "e"]


def test_events_of_one_second_are_ordered_by_their_names_not_by_mixed_precision() -> None:
    """The scheduler's eventTime has microseconds, the kubelet's lastTimestamp
    whole seconds: Started at .9 s is written as .0 s. Names end with the
    creation time in hexadecimal nanoseconds."""
    started = event("web.1880f1e2c6a4f000", lastTimestamp="2025-01-01T00:00:00Z")
    scheduled = event("web.1880f1e2b1d3a000", eventTime="2025-01-01T00:00:00.523000Z")
    next_second = event("web.1880f1e2a0000000", lastTimestamp="2025-01-01T00:00:01Z")

    ordered = sorted([next_second, started, scheduled], key=pods.event_order)

    assert ordered == [scheduled, started, next_second]


def test_event_time_prefers_event_time_over_the_legacy_timestamps() -> None:
    both = event("x", eventTime="2025-01-01T00:00:09Z", lastTimestamp="2025-01-01T00:00:01Z")

    assert pods.event_time(both).second == 9


# The timeout.


def test_the_timeout_defaults_and_is_capped_by_the_settings(settings: ApiSettings) -> None:
    assert pods.exec_timeout(None, settings) == settings.exec_timeout_default
    assert pods.exec_timeout(settings.exec_timeout_max, settings) == settings.exec_timeout_max
    with pytest.raises(RequestValidationError):
        pods.exec_timeout(settings.exec_timeout_max + 1, settings)


def test_a_default_timeout_above_the_maximum_is_refused(settings: ApiSettings) -> None:
    with pytest.raises(ValidationError, match="EXEC_TIMEOUT_DEFAULT"):
        ApiSettings(jwt_secret=settings.jwt_secret, exec_timeout_default=60, exec_timeout_max=10)


# The routes.


@pytest.fixture
def pod(fake_cluster: FakeKubernetes) -> dict[str, Any]:
    body = make_pod()
    fake_cluster.answer(POD_PATH, body)
    return body


@pytest.mark.usefixtures("pod")
def test_exec_returns_output_and_exit_code(client: TestClient, admin, fake_run: FakeRun) -> None:
    fake_run.result = outcome(b"hello\n", b"warn\n", CommandStatus(3, "NonZeroExitCode"))

    response = client.post(EXEC, params={"command": "sh -c 'echo hello'"}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "stdout": "hello\n",
        "stderr": "warn\n",
        "exit_code": 3,
        "truncated": False,
    }
    assert fake_run.targets == [ExecTarget("apps", "web", "app", ("sh", "-c", "echo hello"))]


@pytest.mark.usefixtures("pod")
def test_exec_reports_truncated_output(client: TestClient, admin, fake_run: FakeRun) -> None:
    fake_run.result = outcome(b"x" * 10, limit=4)

    response = client.post(EXEC, params={"command": "yes"}, headers=admin)

    assert response.json()["stdout"] == "xxxx"
    assert response.json()["truncated"] is True


@pytest.mark.usefixtures("pod", "fake_run")
@pytest.mark.parametrize("roles", [("viewer",), ("editor",), ("viewer", "editor")])
def test_exec_needs_the_admin_role(client: TestClient, settings: ApiSettings, roles) -> None:
    response = client.post(EXEC, params={"command": "true"}, headers=headers_for(settings, *roles))

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


@pytest.mark.usefixtures("pod")
def test_exec_writes_an_audit_line_without_the_command(
    client: TestClient, admin, fake_run: FakeRun, caplog: pytest.LogCaptureFixture
) -> None:
    fake_run.result = outcome(b"secret-output")

    with caplog.at_level(logging.DEBUG):
        client.post(EXEC, params={"command": "echo secret-argument"}, headers=admin)

    [audit] = [r for r in caplog.records if r.name == "mayyam.audit"]
    assert audit.getMessage() == (
        "exec_in_pod by alice on cluster fake: namespace=apps object=pods/web/exec status=200"
    )
    # The test's own HTTP client logs the URL it calls; Mayyam must not.
    served = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "secret-argument" not in served
    assert "secret-output" not in served


@pytest.mark.usefixtures("pod")
def test_a_command_that_outlives_its_timeout_is_a_504_at_once(
    client: TestClient, admin, fake_run: FakeRun
) -> None:
    fake_run.delay = 30

    started = time.monotonic()
    response = client.post(EXEC, params={"command": "sleep 30", "timeout": 0.3}, headers=admin)

    assert time.monotonic() - started < 3
    assert response.status_code == 504
    assert response.json()["error"] == "EXEC_TIMEOUT"
    assert "timeout of 0.3 s" in response.json()["message"]


@pytest.mark.usefixtures("pod")
def test_a_command_that_cannot_start_is_a_422_with_the_runtimes_message(
    client: TestClient, admin, fake_run: FakeRun
) -> None:
    # As the API server relays it from the runtime, one prefix per layer.
    message = (
        "Internal error occurred: Internal error occurred: error executing command in "
        'container: exec: "nosuch": executable file not found in $PATH: unknown'
    )
    fake_run.result = outcome(status=CommandStatus(None, "InternalError", message))

    response = client.post(EXEC, params={"command": "nosuch"}, headers=admin)

    assert response.status_code == 422
    assert response.json()["error"] == "COMMAND_NOT_STARTED"
    assert response.json()["message"] == (
        "The command could not be started in container 'app': error executing command "
        'in container: exec: "nosuch": executable file not found in $PATH: unknown'
    )


@pytest.mark.usefixtures("pod", "fake_run")
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"command": "   "}, "query.command"),
        ({"command": ""}, "query.command"),
        ({}, "query.command"),
        ({"command": "true", "timeout": 301}, "query.timeout"),
        ({"command": "true", "timeout": 0}, "query.timeout"),
    ],
)
def test_invalid_exec_parameters_are_a_422_naming_the_field(
    client: TestClient, admin, params: dict, field: str
) -> None:
    response = client.post(EXEC, params=params, headers=admin)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert [d["field"] for d in response.json()["details"]] == [field]


def test_exec_in_a_missing_pod_is_a_404_of_the_object(
    client: TestClient, admin, fake_run: FakeRun
) -> None:
    response = client.post(EXEC, params={"command": "true"}, headers=admin)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"
    assert fake_run.targets == []


def test_exec_chooses_and_checks_the_container_before_running(
    client: TestClient, fake_cluster: FakeKubernetes, admin, fake_run: FakeRun
) -> None:
    fake_cluster.answer(POD_PATH, make_pod(("app", "log"), states={"log": {"waiting": {}}}))

    unnamed = client.post(EXEC, params={"command": "true"}, headers=admin)
    waiting = client.post(EXEC, params={"command": "true", "container": "log"}, headers=admin)
    unknown = client.post(EXEC, params={"command": "true", "container": "db"}, headers=admin)
    named = client.post(EXEC, params={"command": "true", "container": "app"}, headers=admin)

    assert (unnamed.status_code, unnamed.json()["error"]) == (400, "BAD_REQUEST")
    assert "app, log" in unnamed.json()["message"]
    assert (waiting.status_code, waiting.json()["error"]) == (409, "CONFLICT")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "BAD_REQUEST")
    assert named.status_code == 200
    assert [t.container for t in fake_run.targets] == ["app"]


def test_pod_events_are_those_of_its_uid_oldest_first(
    client: TestClient, fake_cluster: FakeKubernetes, pod, auth_headers: dict[str, str]
) -> None:
    later = event("later", lastTimestamp="2025-01-01T00:00:09Z")
    earlier = event("earlier", eventTime="2025-01-01T00:00:01.000001Z", lastTimestamp=None)
    fake_cluster.answer(
        "/api/v1/namespaces/apps/events",
        {"kind": "EventList", "apiVersion": "v1", "items": [later, earlier]},
    )

    response = client.get(EVENTS, headers=auth_headers)

    assert response.status_code == 200, response.text
    assert [e["metadata"]["name"] for e in response.json()] == ["earlier", "later"]
    assert all(e["kind"] == "Event" and e["apiVersion"] == "v1" for e in response.json())
    selector = parse_qs(fake_cluster.queries[-1])["fieldSelector"]
    assert selector == ["involvedObject.kind=Pod,involvedObject.name=web,involvedObject.uid=uid-1"]


def test_events_of_a_missing_pod_are_a_404(client: TestClient, auth_headers) -> None:
    response = client.get(EVENTS, headers=auth_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
