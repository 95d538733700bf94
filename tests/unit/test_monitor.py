"""When the monitor probes which cluster, and when the Lease changes hands."""

import asyncio
import json
import logging
from unittest import mock

import pytest
from factories import make_cluster

from mayyam.core.logs import JsonFormatter
from mayyam.operator.config import OperatorSettings
from mayyam.operator.leader import LeaseElector
from mayyam.operator.monitor import ClusterMonitor, next_delay, probe_interval, probe_timeout
from mayyam.operator.probe import ProbeResult, Verdict

SETTINGS = OperatorSettings(
    namespace="mayyam",
    probe_interval_seconds=0.05,
    probe_timeout_seconds=0.5,
    probe_backoff_limit_seconds=0.2,
    leader_election=False,
)
GOOD = ProbeResult(Verdict("True", "Accepted", "."), Verdict("True", "Connected", "."))


def test_failures_back_off_doubling_up_to_the_limit() -> None:
    delays = [next_delay(10, failures, 300) for failures in range(8)]

    assert 9 <= delays[0] <= 11 and 9 <= delays[1] <= 11
    assert 18 <= delays[2] <= 22 and 36 <= delays[3] <= 44
    assert all(270 <= d <= 330 for d in delays[6:])


def test_an_interval_longer_than_the_limit_is_kept() -> None:
    assert 540 <= next_delay(600, 5, 300) <= 660


def test_the_spec_wins_over_the_settings_for_interval_and_timeout() -> None:
    cluster = make_cluster()
    assert probe_interval(cluster, SETTINGS) == 0.05
    cluster["spec"]["healthCheck"] = {"intervalSeconds": 30, "timeoutSeconds": 3}
    assert (probe_interval(cluster, SETTINGS), probe_timeout(cluster, SETTINGS)) == (30, 3)


def run_monitor(actions, seconds: float = 0.4, result: ProbeResult = GOOD):
    """Run a monitor for a while; return the names it probed, in order."""
    probed: list[str] = []

    def probe(cluster, *, timeout):
        probed.append(cluster["metadata"]["name"])
        return result

    prober = mock.Mock(probe=probe)
    writer = mock.Mock(write=lambda cluster, _: cluster)

    async def main() -> None:
        monitor = ClusterMonitor(prober, writer, SETTINGS)
        task = asyncio.create_task(monitor.run())
        await actions(monitor, probed)
        await asyncio.sleep(seconds)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    return probed


def test_a_new_cluster_is_probed_at_once_and_then_at_its_interval() -> None:
    async def add(monitor, probed):
        monitor.observe_cluster(None, make_cluster("a"))

    probed = run_monitor(add, seconds=0.3)

    assert probed.count("a") >= 2


def test_a_secret_change_probes_only_the_clusters_that_use_it() -> None:
    slow = OperatorSettings(namespace="mayyam", probe_interval_seconds=60, leader_election=False)

    async def change(monitor, probed):
        monitor._settings = slow
        monitor.observe_cluster(None, make_cluster("a", secret="a-secret"))
        monitor.observe_cluster(None, make_cluster("b", secret="b-secret"))
        await asyncio.sleep(0.1)
        monitor.observe_secret("mayyam", "a-secret")

    assert sorted(run_monitor(change, seconds=0.1)) == ["a", "a", "b"]


def test_a_status_change_alone_does_not_probe_again_but_a_new_generation_does() -> None:
    async def change(monitor, probed):
        monitor._settings = OperatorSettings(
            namespace="mayyam", probe_interval_seconds=60, leader_election=False
        )
        cluster = make_cluster("a")
        monitor.observe_cluster(None, cluster)
        await asyncio.sleep(0.1)
        monitor.observe_cluster("MODIFIED", {**cluster, "status": {"lastProbeTime": "now"}})
        await asyncio.sleep(0.1)
        newer = {**cluster, "metadata": {**cluster["metadata"], "generation": 2}}
        monitor.observe_cluster("MODIFIED", newer)

    assert run_monitor(change, seconds=0.1) == ["a", "a"]


def test_a_standby_replica_probes_nothing_until_it_leads() -> None:
    async def standby(monitor, probed):
        monitor.set_active(False)
        monitor.observe_cluster(None, make_cluster("a"))
        await asyncio.sleep(0.1)
        assert not monitor.active

    assert run_monitor(standby, seconds=0.1) == []


def test_a_deleted_cluster_is_no_longer_probed() -> None:
    seen_when_deleted: list[int] = []

    async def delete(monitor, probed):
        monitor.observe_cluster(None, make_cluster("a"))
        await asyncio.sleep(0.1)
        monitor.observe_cluster("DELETED", make_cluster("a"))
        await asyncio.sleep(0.01)
        seen_when_deleted.append(len(probed))

    probed = run_monitor(delete, seconds=0.3)
    assert probed and len(probed) == seen_when_deleted[0]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_counts_as_lapsed_only_after_a_whole_unchanged_duration() -> None:
    clock = Clock()
    settings = OperatorSettings(namespace="mayyam", lease_duration_seconds=15, identity="me")
    elector = LeaseElector(mock.Mock(), settings, lambda _: None, clock=clock)
    spec = mock.Mock(
        holder_identity="other", renew_time=1, lease_transitions=0, lease_duration_seconds=15
    )

    assert not elector._expired(spec)
    clock.now = 14
    assert not elector._expired(spec)
    clock.now = 15
    assert elector._expired(spec)

    spec.renew_time = 2
    assert not elector._expired(spec)


def test_a_released_lease_can_be_taken_at_once() -> None:
    settings = OperatorSettings(namespace="mayyam", identity="me")
    elector = LeaseElector(mock.Mock(), settings, lambda _: None, clock=Clock())

    assert elector._expired(mock.Mock(holder_identity=None))


@pytest.mark.parametrize("level", [logging.INFO, logging.ERROR])
def test_json_logs_are_one_object_per_line(level: int) -> None:
    record = logging.LogRecord("mayyam.x", level, "", 0, "Cluster %s is ready.", ("a",), None)
    record.k8s_ref = {"kind": "MayyamCluster", "namespace": "mayyam", "name": "a", "uid": "u"}

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "Cluster a is ready."
    assert entry["level"] == logging.getLevelName(level).lower()
    assert entry["object"] == {"kind": "MayyamCluster", "namespace": "mayyam", "name": "a"}
