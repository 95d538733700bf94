"""Pods of a registered cluster: running a command in a container, and a Pod's Events.

Both routes read the Pod first. Exec uses it to pick the container the way
kubectl does and to refuse, with a clear message, a container that is not
running; the Events route uses its uid, so that the Events of an earlier Pod
of the same name are not mixed in.
"""

import asyncio
import codecs
import shlex
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from kubernetes.client import CoreV1Api
from pydantic import BaseModel, Field

from mayyam.api import objects
from mayyam.api.config import ApiSettings
from mayyam.api.deps import (
    CLUSTER_PATH,
    ExecCluster,
    NamespaceName,
    ReadCluster,
    SettingsDep,
)
from mayyam.api.errors import (
    BadRequestError,
    CommandNotStartedError,
    ConflictError,
    ErrorBody,
    ExecTimeoutError,
)
from mayyam.api.objects import KubeObject
from mayyam.api.validation import SUBDOMAIN_PATTERN
from mayyam.core.exec import CapturedStream, ExecOutcome, ExecTarget, endpoint_of, run_command

router = APIRouter(prefix=f"{CLUSTER_PATH}/namespaces/{{namespace}}/pods", tags=["pods"])

#: The annotation that names the container kubectl picks when none is named.
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

#: The longest part of a container runtime's message that is passed on.
MAX_RUNTIME_MESSAGE = 1000

#: What the API server puts before a runtime's message, once per layer.
_INTERNAL_ERROR_PREFIX = "Internal error occurred: "

_EXEC_DESCRIPTION = """\
Run a command in a running container of a Pod, wait for it to end, and return
its output and exit code (like `kubectl exec POD -- COMMAND`). Needs the
admin role; every exec is written to the audit log, never its command.

`command` is split like a shell would split words (quotes, backslashes), but
no shell runs it: `sh -c '...'` gives a shell. When it cannot be split (an
unbalanced quote), the whole string is the one argument. No stdin is sent.

Without `container`, the container is the one the Pod's annotation
`kubectl.kubernetes.io/default-container` names, else the Pod's only
container; a Pod with several containers and no annotation is refused (400).

Each of `stdout` and `stderr` is returned up to a limit (1 MiB by default);
beyond it the command still runs to its end, the rest of its output is
dropped, and `truncated` is true. Output is decoded as UTF-8: bytes that are
not valid UTF-8 become U+FFFD.

`tty=true` gives the command a terminal, as `kubectl exec -t` does: the
terminal merges stderr into stdout (`stderr` is then empty) and turns each
"\\n" into "\\r\\n".

A command that exits with a non-zero code is still a 200 with that
`exit_code`. A command the container runtime cannot start at all (e.g. the
executable does not exist) is a 422 with the runtime's message, as kubectl
reports an error then rather than an exit code.

A command still running after `timeout` seconds is given up with a 504 and
its connection closed. Kubernetes cannot signal a process through its exec
connection: the process goes on running in the container until it ends by
itself, as after an interrupted `kubectl exec`.
"""


class ExecResult(BaseModel):
    """What a command printed, and how it ended."""

    stdout: str = Field(description="Standard output (with a TTY: all output), as UTF-8.")
    stderr: str = Field(description="Standard error, as UTF-8; empty with a TTY.")
    exit_code: int = Field(description="The command's exit code; 0 is success.")
    truncated: bool = Field(description="Whether output beyond the limit was dropped.")


PodName = Annotated[
    str, Path(max_length=253, pattern=SUBDOMAIN_PATTERN, description="The name of the Pod.")
]
CommandQuery = Annotated[
    str,
    Query(
        min_length=1,
        description="The command and its arguments, split like shell words; no shell runs it.",
        examples=["sh -c 'echo hello && uname -a'"],
    ),
]
ContainerQuery = Annotated[
    str | None,
    Query(max_length=63, description="The container; by default the Pod's default or only one."),
]
TtyQuery = Annotated[
    bool, Query(description="Run in a terminal: stderr merges into stdout, newlines become CRLF.")
]
TimeoutQuery = Annotated[
    float | None,
    Query(gt=0, description="Seconds the command may run; default and maximum are set by Mayyam."),
]


@router.post(
    "/{pod_name}/exec",
    description=_EXEC_DESCRIPTION,
    responses={
        400: {"model": ErrorBody, "description": "No such container, or none chosen."},
        409: {"model": ErrorBody, "description": "The container is not running."},
        422: {"model": ErrorBody, "description": "Invalid parameters, or not startable."},
        504: {"model": ErrorBody, "description": "The command outlived its timeout."},
    },
)
async def exec_in_pod(
    cluster: ExecCluster,
    settings: SettingsDep,
    namespace: NamespaceName,
    pod_name: PodName,
    command: CommandQuery,
    container: ContainerQuery = None,
    tty: TtyQuery = False,
    timeout: TimeoutQuery = None,
) -> ExecResult:
    """Run a command in a container of a Pod; return its output and exit code."""
    argv = parse_command(command)
    seconds = exec_timeout(timeout, settings)
    api = CoreV1Api(cluster.api_client)
    pod = await objects.read_raw(cluster, api.read_namespaced_pod, pod_name, namespace)
    chosen = choose_container(pod, container)
    check_running(pod, chosen)

    target = ExecTarget(namespace, pod_name, chosen, argv, tty=tty)
    endpoint = await asyncio.to_thread(endpoint_of, cluster.api_client)
    try:
        async with asyncio.timeout(seconds):
            outcome = await run_command(
                cluster.name,
                endpoint,
                target,
                output_limit=settings.exec_output_limit,
                connect_timeout=cluster.request_timeout[0],
            )
    except TimeoutError:
        raise ExecTimeoutError(
            f"The command did not end within its timeout of {seconds:g} s. Mayyam stopped "
            "waiting; the process may still run in the container."
        ) from None
    return exec_result(outcome, chosen)


@router.get(
    "/{pod_name}/events",
    response_class=Response,
    responses={
        200: {
            "description": "The Pod's Events (core/v1), oldest first.",
            "content": {"application/json": {"schema": {"type": "array", "items": {}}}},
        }
    },
)
async def list_pod_events(
    cluster: ReadCluster, namespace: NamespaceName, pod_name: PodName
) -> Response:
    """List the Events of a Pod, oldest first."""
    api = CoreV1Api(cluster.api_client)
    pod = await objects.read_raw(cluster, api.read_namespaced_pod, pod_name, namespace)
    uid = (pod.get("metadata") or {}).get("uid", "")

    # What kubectl describe asks for: this Pod, and no earlier one of its name.
    selector = f"involvedObject.kind=Pod,involvedObject.name={pod_name},involvedObject.uid={uid}"
    events = await objects.read_items(
        cluster, api.list_namespaced_event, namespace, field_selector=selector, kind="Event"
    )
    return objects.json_response(sorted(events, key=event_order))


def parse_command(command: str) -> tuple[str, ...]:
    """Split ``command`` into arguments; a string that cannot be split is one."""
    try:
        argv = tuple(shlex.split(command))
    except ValueError:
        argv = (command,)
    if not argv or not argv[0]:
        raise _invalid("command", "The command is empty: name an executable to run.")
    return argv


def exec_timeout(requested: float | None, settings: ApiSettings) -> float:
    """The seconds a command may run: as requested, up to the maximum."""
    if requested is None:
        return settings.exec_timeout_default
    if requested > settings.exec_timeout_max:
        raise _invalid(
            "timeout", f"Input should be less than or equal to {settings.exec_timeout_max:g}"
        )
    return requested


def choose_container(pod: KubeObject, requested: str | None) -> str:
    """The container to run in: ``requested``, else the default or only one."""
    spec, name = pod.get("spec") or {}, _name_of(pod)
    containers = _names(spec.get("containers"))
    every = containers + _names(spec.get("initContainers"))
    every += _names(spec.get("ephemeralContainers"))

    if requested is not None:
        if requested not in every:
            raise BadRequestError(f"Pod {name!r} has no container {requested!r}; {_listing(spec)}.")
        return requested

    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    annotated = annotations.get(DEFAULT_CONTAINER_ANNOTATION)
    if annotated in every:
        return str(annotated)
    if len(containers) == 1:
        return containers[0]
    raise BadRequestError(
        f"Pod {name!r} has several containers; name one with the query parameter "
        f"container ({_listing(spec)}), or give the Pod the annotation "
        f"{DEFAULT_CONTAINER_ANNOTATION}."
    )


def check_running(pod: KubeObject, container: str) -> None:
    """Raise `ConflictError` unless ``container`` of ``pod`` is running."""
    status, name = pod.get("status") or {}, _name_of(pod)
    phase = status.get("phase") or "Unknown"
    if phase in ("Succeeded", "Failed"):
        raise ConflictError(
            f"Pod {name!r} has completed (phase {phase}); commands run only in running containers."
        )

    state = _container_state(status, container)
    if "running" in state:
        return
    if "waiting" in state:
        detail = f"is waiting ({(state['waiting'] or {}).get('reason') or 'no reason given'})"
    elif "terminated" in state:
        detail = f"has terminated ({(state['terminated'] or {}).get('reason') or 'no reason'})"
    else:
        detail = "has not started"
    raise ConflictError(
        f"Container {container!r} of Pod {name!r} {detail}; the Pod's phase is {phase}. "
        "Commands run only in running containers."
    )


def exec_result(outcome: ExecOutcome, container: str) -> ExecResult:
    """The answer for a finished exec; a command that never started is an error."""
    status = outcome.status
    if status.exit_code is None:
        detail = status.message or status.reason
        while detail.startswith(_INTERNAL_ERROR_PREFIX):
            detail = detail.removeprefix(_INTERNAL_ERROR_PREFIX)
        raise CommandNotStartedError(
            f"The command could not be started in container {container!r}: "
            f"{detail[:MAX_RUNTIME_MESSAGE]}"
        )
    return ExecResult(
        stdout=decode_output(outcome.stdout),
        stderr=decode_output(outcome.stderr),
        exit_code=status.exit_code,
        truncated=outcome.truncated,
    )


def decode_output(stream: CapturedStream) -> str:
    """The stream as text: invalid UTF-8 becomes U+FFFD; a character cut in
    two by the limit is left out rather than garbled."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return str(decoder.decode(bytes(stream.data), final=not stream.truncated))


def event_order(event: KubeObject) -> tuple[datetime, str]:
    """Where an Event goes in a list, oldest first: its time, to the second,
    then its name.

    The legacy timestamps have whole seconds only, while ``eventTime`` has
    microseconds: compared as they are, a Pod's ``Scheduled`` (by the
    scheduler, at .5 s) would follow its ``Started`` (by the kubelet, at .9 s
    of the same second, written as .0). Within a second the name decides:
    Kubernetes names an Event after its object and its creation time in
    hexadecimal nanoseconds, so for one Pod name order is time order.
    """
    name = str((event.get("metadata") or {}).get("name") or "")
    return event_time(event).replace(microsecond=0), name


def event_time(event: KubeObject) -> datetime:
    """When an Event happened: the first of its times that is set and valid.

    Events written by the newer API set only ``eventTime``; older writers
    set ``lastTimestamp`` and ``firstTimestamp``; the API server always
    sets ``creationTimestamp``. An Event with none sorts first.
    """
    metadata = event.get("metadata") or {}
    for value in (
        event.get("eventTime"),
        event.get("lastTimestamp"),
        event.get("firstTimestamp"),
        metadata.get("creationTimestamp"),
    ):
        parsed = _parse_time(value)
        if parsed is not None:
            return parsed
    return datetime.min.replace(tzinfo=UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _container_state(status: KubeObject, container: str) -> KubeObject:
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if isinstance(entry, dict) and entry.get("name") == container:
                return entry.get("state") or {}
    return {}


def _names(containers: Any) -> list[str]:
    return [str(c["name"]) for c in containers or [] if isinstance(c, dict) and "name" in c]


def _listing(spec: KubeObject) -> str:
    """The Pod's containers by kind, e.g. ``containers: app, log; init containers: setup``."""
    kinds = {
        "containers": "containers",
        "initContainers": "init containers",
        "ephemeralContainers": "ephemeral containers",
    }
    parts = [
        f"{label}: {', '.join(_names(spec.get(key)))}"
        for key, label in kinds.items()
        if _names(spec.get(key))
    ]
    return "; ".join(parts) or "it has none"


def _name_of(pod: KubeObject) -> str:
    return str((pod.get("metadata") or {}).get("name", ""))


def _invalid(parameter: str, message: str) -> RequestValidationError:
    """A 422 naming a query parameter, like FastAPI's own validation errors."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", parameter), "msg": message}]
    )
