"""Exec in a Pod's containers and a Pod's Events, through Mayyam, on the
cluster whose node runs pods (``local`` of the ``served`` fixture)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from mayyamdev.clusters import Cluster
from tests.e2e.conftest import ServedClusters

#: A script whose name has an unbalanced quote: only the raw-string
#: fallback runs it, as the one argument it is.
QUOTED_SCRIPT = "/tmp/it's"


def pod_manifest(
    cluster: Cluster,
    name: str,
    containers: dict[str, list[str]],
    *,
    annotations: dict[str, str] | None = None,
    restart_policy: str = "Always",
    image: str | None = None,
    readiness: list[str] | None = None,
) -> dict:
    """A Pod of busybox containers, each running its command with ``WHO`` set to its name."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {
            "restartPolicy": restart_policy,
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": container,
                    "image": image or cluster.workload_image,
                    "imagePullPolicy": cluster.image_pull_policy,
                    "command": command,
                    "env": [{"name": "WHO", "value": container}],
                    **(
                        {"readinessProbe": {"exec": {"command": readiness}, "periodSeconds": 1}}
                        if readiness
                        else {}
                    ),
                }
                for container, command in containers.items()
            ],
        },
    }


SLEEP = ["sleep", "3600"]


@pytest.fixture(scope="module")
def namespace(served: ServedClusters, management: Cluster) -> Iterator[str]:
    """A namespace with Pods in every state the tests need, made once."""
    name = f"e2e-pods-{secrets.token_hex(4)}"
    management.kubectl("create", "namespace", name)
    make_script = (
        f"""printf '#!/bin/sh\\necho ran as one argument\\n' > "{QUOTED_SCRIPT}" """
        f"""&& chmod +x "{QUOTED_SCRIPT}" && exec sleep 3600"""
    )
    pods = [
        pod_manifest(
            management,
            "shell",
            {"main": ["sh", "-c", make_script]},
            readiness=["test", "-x", QUOTED_SCRIPT],
        ),
        pod_manifest(management, "duo", {"first": SLEEP, "second": SLEEP}),
        pod_manifest(
            management,
            "annotated",
            {"first": SLEEP, "second": SLEEP},
            annotations={"kubectl.kubernetes.io/default-container": "second"},
        ),
        pod_manifest(management, "unpulled", {"main": SLEEP}, image="localhost/mayyam/not-there:1"),
        pod_manifest(management, "done", {"main": ["true"]}, restart_policy="Never"),
    ]
    management.kubectl(
        "apply", "-n", name, "-f", "-", input="\n---\n".join(json.dumps(p) for p in pods)
    )
    try:
        wait = ["wait", "-n", name, "--timeout=120s"]
        management.kubectl(*wait, "--for=condition=Ready", "pod/shell", "pod/duo", "pod/annotated")
        management.kubectl(*wait, "--for=jsonpath={.status.phase}=Succeeded", "pod/done")
        waiting = "{.status.containerStatuses[0].state.waiting.reason}"
        management.kubectl(*wait, f"--for=jsonpath={waiting}=ErrImageNeverPull", "pod/unpulled")
        yield name
    finally:
        management.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def admin(served: ServedClusters) -> Iterator[httpx.Client]:
    with served.client("admin") as client:
        yield client


def exec_url(namespace: str, pod: str, cluster: str = "local") -> str:
    return f"/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/exec"


def run(client: httpx.Client, namespace: str, command: str, pod: str = "shell", **params):
    return client.post(exec_url(namespace, pod), params={"command": command, **params})


# What a command prints and how it ends.


def test_echo_comes_back_on_stdout_with_exit_code_0(admin, namespace) -> None:
    response = run(admin, namespace, "echo hello")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "stdout": "hello\n",
        "stderr": "",
        "exit_code": 0,
        "truncated": False,
    }


def test_stderr_and_a_non_zero_exit_code_are_returned(admin, namespace) -> None:
    response = run(admin, namespace, "sh -c 'echo partial; echo oops >&2; exit 3'")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stdout"], body["stderr"], body["exit_code"]) == ("partial\n", "oops\n", 3)


def test_output_that_is_not_utf8_is_replaced_not_refused(admin, namespace) -> None:
    response = run(admin, namespace, """sh -c 'printf "ok\\377\\376"'""")

    assert response.status_code == 200, response.text
    assert response.json()["stdout"] == "ok\ufffd\ufffd"


def test_output_over_the_limit_is_truncated_and_the_command_still_ends(admin, namespace) -> None:
    response = run(admin, namespace, "sh -c 'yes | head -c 1500000; echo done >&2; exit 4'")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["truncated"] is True
    assert len(body["stdout"]) == 1024 * 1024
    assert set(body["stdout"]) == {"y", "\n"}
    # The command ran past the limit to its end: its stderr and exit code came.
    assert (body["stderr"], body["exit_code"]) == ("done\n", 4)


def test_a_string_that_cannot_be_split_runs_as_one_argument(admin, namespace) -> None:
    response = run(admin, namespace, QUOTED_SCRIPT)

    assert response.status_code == 200, response.text
    assert response.json()["stdout"] == "ran as one argument\n"


def test_no_shell_runs_the_command(admin, namespace) -> None:
    response = run(admin, namespace, "echo $WHO && echo not-a-shell")

    assert response.status_code == 200, response.text
    assert response.json()["stdout"] == "$WHO && echo not-a-shell\n"


def test_an_executable_that_does_not_exist_is_a_422_naming_it(admin, namespace) -> None:
    response = run(admin, namespace, "no-such-binary --flag")

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "COMMAND_NOT_STARTED"
    assert "no-such-binary" in body["message"]


def test_a_tty_merges_stderr_into_stdout_with_crlf(admin, namespace) -> None:
    response = run(admin, namespace, "sh -c 'echo out; echo err >&2'", tty="true")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stdout"] == "out\r\nerr\r\n"
    assert body["stderr"] == ""


def test_a_command_past_its_timeout_is_a_504_and_the_api_stays_responsive(
    admin, namespace, served: ServedClusters
) -> None:
    result: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        result["response"] = run(admin, namespace, "sleep 31", timeout=2)
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    health = []
    while thread.is_alive():
        started = time.monotonic()
        answer = httpx.get(f"{served.product.api_url}/healthz", timeout=5)
        health.append((answer.status_code, time.monotonic() - started))
        time.sleep(0.1)
    thread.join()

    response = result["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 504, response.text
    assert response.json()["error"] == "EXEC_TIMEOUT"
    assert result["seconds"] < 5
    # Had the exec held the event loop, /healthz would wait for its end.
    assert len(health) >= 2
    assert all(status == 200 and seconds < 1 for status, seconds in health)

    # Nothing can signal the process through the exec connection: it runs on.
    processes = run(admin, namespace, "ps -o args").json()["stdout"].splitlines()
    assert "sleep 31" in processes


# Which container.


def test_the_default_container_annotation_chooses_the_container(admin, namespace) -> None:
    response = run(admin, namespace, "sh -c 'echo $WHO'", pod="annotated")

    assert response.status_code == 200, response.text
    assert response.json()["stdout"] == "second\n"


def test_two_containers_without_annotation_are_a_400_naming_them(admin, namespace) -> None:
    unnamed = run(admin, namespace, "sh -c 'echo $WHO'", pod="duo")
    named = run(admin, namespace, "sh -c 'echo $WHO'", pod="duo", container="first")

    assert unnamed.status_code == 400, unnamed.text
    assert unnamed.json()["error"] == "BAD_REQUEST"
    assert "first, second" in unnamed.json()["message"]
    assert named.status_code == 200, named.text
    assert named.json()["stdout"] == "first\n"


def test_an_unknown_container_is_a_400_naming_the_containers(admin, namespace) -> None:
    response = run(admin, namespace, "true", pod="duo", container="third")

    assert response.status_code == 400, response.text
    assert "third" in response.json()["message"]
    assert "first, second" in response.json()["message"]


def test_a_missing_pod_is_a_404_of_the_object(admin, namespace) -> None:
    response = run(admin, namespace, "true", pod="nowhere")

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "NOT_FOUND"
    assert response.json()["reason"] == "NotFound"


@pytest.mark.parametrize(
    ("pod", "words"), [("unpulled", "ErrImageNeverPull"), ("done", "Succeeded")]
)
def test_a_container_that_is_not_running_is_a_409(admin, namespace, pod, words) -> None:
    response = run(admin, namespace, "true", pod=pod)

    assert response.status_code == 409, response.text
    assert response.json()["error"] == "CONFLICT"
    assert words in response.json()["message"]


# Who may exec.


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("editor", 403), ("admin", 200)])
def test_only_admins_may_exec(served: ServedClusters, namespace, role, status) -> None:
    with served.client(role) as client:
        response = run(client, namespace, "true")

    assert response.status_code == status, response.text


def test_a_token_whose_clusters_exclude_the_cluster_may_not_exec(
    served: ServedClusters, namespace
) -> None:
    with served.client("admin", clusters=["remote", "prod-*"]) as client:
        response = run(client, namespace, "true")

    assert response.status_code == 403
    assert "local" in response.json()["message"]


# A Pod's Events.


def events_of(client: httpx.Client, namespace: str, pod: str) -> list[dict]:
    response = client.get(f"/clusters/local/namespaces/{namespace}/pods/{pod}/events")
    assert response.status_code == 200, response.text
    return response.json()


def event_second(event: dict) -> datetime:
    """An Event's time to the second: the legacy timestamps have no more."""
    for value in (event.get("eventTime"), event.get("lastTimestamp"), event.get("firstTimestamp")):
        if value:
            return datetime.fromisoformat(value).replace(microsecond=0)
    return datetime.fromisoformat(event["metadata"]["creationTimestamp"])


def started_pod(management: Cluster, namespace: str, name: str) -> str:
    """Create a Pod, wait until its Started Event exists; return its uid."""
    manifest = pod_manifest(management, name, {"main": SLEEP})
    management.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))
    management.kubectl("wait", "-n", namespace, "--for=condition=Ready", f"pod/{name}")
    uid = management.kubectl_json("get", "-n", namespace, f"pod/{name}")["metadata"]["uid"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = management.kubectl_json(
            "get", "events", "-n", namespace, f"--field-selector=involvedObject.uid={uid}"
        )
        if any(e["reason"] == "Started" for e in listed["items"]):
            return uid
        time.sleep(0.5)
    raise AssertionError(f"no Started Event for pod {name}")


def test_a_pods_events_are_its_own_oldest_first_even_after_it_is_recreated(
    served: ServedClusters, management: Cluster, namespace
) -> None:
    first_uid = started_pod(management, namespace, "again")
    with served.client("viewer") as viewer:
        first = events_of(viewer, namespace, "again")
        management.kubectl("delete", "pod", "-n", namespace, "again", "--grace-period=1")
        second_uid = started_pod(management, namespace, "again")
        second = events_of(viewer, namespace, "again")

    for events, uid in ((first, first_uid), (second, second_uid)):
        assert {e["involvedObject"]["uid"] for e in events} == {uid}
        assert all(e["kind"] == "Event" and e["apiVersion"] == "v1" for e in events)
        times = [event_second(e) for e in events]
        assert times == sorted(times)
        reasons = [e["reason"] for e in events]
        assert reasons.index("Scheduled") < reasons.index("Started")
        # The scheduler sets only eventTime, the kubelet only the legacy times:
        # the order holds across both.
        assert any(e.get("eventTime") and not e.get("lastTimestamp") for e in events)
        assert any(e.get("lastTimestamp") and not e.get("eventTime") for e in events)
    assert first_uid != second_uid


def test_events_of_a_missing_pod_are_a_404(served: ServedClusters, namespace) -> None:
    with served.client("viewer") as viewer:
        response = viewer.get(f"/clusters/local/namespaces/{namespace}/pods/nowhere/events")

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
