"""Mayyam against the direct alternatives, side by side, in one run.

Starts a local cluster, registers it with itself, and measures: listing 100
ConfigMaps and listing namespaces through Mayyam, directly against the
apiserver with the same credentials, and with ``kubectl get -o json``; exec
through Mayyam and with ``kubectl exec``; the API's memory with 1 and 100
registered clusters; the operator's time to make 100 new clusters Ready and
its idle CPU; and ``/healthz`` latency while 20 slow execs run. Writes
``benchmarks/results/results.md`` and ``results.png``.

Run as ``./dev bench``; ``--only`` runs some scenarios (and writes no
results), ``--profile DIR`` samples the API or the operator with py-spy
during each scenario that loads it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import platform
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx

from benchmarks import installation as setup
from benchmarks.load import Sample, measure_async, measure_command
from benchmarks.measures import cpu_seconds, machine, rss_mib
from benchmarks.profile import profiled
from benchmarks.report import Row, write_report
from mayyamdev.clusters import Cluster, local_clusters

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("lists", "execs", "healthz", "fleet")
#: Turns in which Mayyam and the direct call are measured, one after the other.
ROUNDS = 5
log = logging.getLogger("benchmarks")

#: Where profiles go; None: no profiling.
PROFILES: Path | None = None


@contextlib.contextmanager
def _profile(inst: setup.Installation, process: str, scenario: str) -> Iterator[None]:
    output = PROFILES / f"{scenario}.{process}.txt" if PROFILES else None
    with profiled(_pid(inst, process), output):
        yield


def _client(**kwargs) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An HTTP client that drops idle connections before a server would."""
    # Uvicorn closes a connection idle for 5 s; a request sent on it just
    # then fails with a ReadError, so idle ones are not reused after 2 s.
    limits = httpx.Limits(max_connections=50, keepalive_expiry=2)
    return httpx.AsyncClient(limits=limits, timeout=60, **kwargs)


def _getter(client: httpx.AsyncClient, url: str):  # type: ignore[no-untyped-def]
    async def get() -> None:
        response = await client.get(url)
        response.raise_for_status()

    return get


async def _lists(inst: setup.Installation) -> dict[str, Sample]:
    """List ConfigMaps and namespaces three ways, at 1 and 50 clients."""
    server = inst.cluster.server
    paths = {
        "configmaps": (
            f"/namespaces/{setup.DATA}/configmaps",
            f"/api/v1/namespaces/{setup.DATA}/configmaps",
        ),
        "namespaces": ("/namespaces", "/api/v1/namespaces"),
    }
    mayyam = _client(headers={"Authorization": f"Bearer {inst.jwt}"})
    direct = _client(headers={"Authorization": f"Bearer {inst.token}"}, verify=str(inst.ca_file))
    samples: dict[str, Sample] = {}
    async with mayyam, direct:
        for what, (ours, theirs) in paths.items():
            for clients, total in ((1, 200), (50, 500)):
                # In turns, so that a change in the machine's load hits both.
                for _ in range(ROUNDS):
                    with _profile(inst, "api", f"{what}-c{clients}"):
                        ours_part = await _measure_api(
                            inst, _getter(mayyam, inst.api() + ours), total // ROUNDS, clients
                        )
                    theirs_part = await measure_async(
                        _getter(direct, server + theirs), total // ROUNDS, clients
                    )
                    _add(samples, f"{what} mayyam c{clients}", ours_part)
                    _add(samples, f"{what} direct c{clients}", theirs_part)
            kubectl = inst.cluster.kubectl_command(
                "get",
                "configmaps" if what == "configmaps" else "namespaces",
                *(["-n", setup.DATA] if what == "configmaps" else []),
                "-o",
                "json",
            )
            samples[f"{what} kubectl c1"] = measure_command(kubectl, 30, 1)
            samples[f"{what} kubectl c50"] = measure_command(kubectl, 100, 50)
    return samples


def _add(samples: dict[str, Sample], name: str, part: Sample) -> None:
    """Add a part of a scenario measured in turns to what it has so far."""
    so_far = samples.get(name)
    if so_far is None:
        samples[name] = part
        return
    samples[name] = Sample(
        so_far.latencies + part.latencies,
        so_far.wall + part.wall,
        so_far.client_cpu + part.client_cpu,
        so_far.server_cpu + part.server_cpu,
    )


async def _measure_api(
    inst: setup.Installation, request: Callable[[], Awaitable[None]], total: int, clients: int
) -> Sample:
    """`measure_async`, with the CPU time the API used meanwhile."""
    api = _pid(inst, "api")
    for _ in range(5):
        await request()
    before = cpu_seconds(api)
    sample = await measure_async(request, total, clients, warmup=0)
    return dataclasses.replace(sample, server_cpu=cpu_seconds(api) - before)


async def _execs(inst: setup.Installation) -> dict[str, Sample]:
    """Exec ``true`` and ``echo`` through Mayyam and with kubectl exec."""
    url = inst.api() + f"/namespaces/{setup.DATA}/pods/shell/exec"
    samples: dict[str, Sample] = {}
    async with _client(headers={"Authorization": f"Bearer {inst.jwt}"}) as client:
        for command in ("true", "echo hello"):

            async def run(command: str = command) -> None:
                response = await client.post(url, params={"command": command})
                response.raise_for_status()

            with _profile(inst, "api", f"exec-{command.split()[0]}"):
                samples[f"exec {command} mayyam"] = await _measure_api(inst, run, 50, 1)
            kubectl = inst.cluster.kubectl_command(
                "exec", "-n", setup.DATA, "shell", "--", *command.split()
            )
            samples[f"exec {command} kubectl"] = measure_command(kubectl, 50, 1)
    return samples


async def _healthz_under_exec_load(inst: setup.Installation) -> Sample:
    """``/healthz`` latency while 20 execs of ``sleep 5`` hold the API.

    ``/healthz`` is asked every 10 ms from the moment the execs are sent until
    the last has answered, so their start and their end are covered too.
    """
    url = inst.api() + f"/namespaces/{setup.DATA}/pods/shell/exec"
    headers = {"Authorization": f"Bearer {inst.jwt}"}
    async with _client(headers=headers) as client:
        health = _getter(client, f"{inst.product.api_url}/healthz")
        await health()
        with _profile(inst, "api", "healthz"):
            slow = [
                asyncio.create_task(client.post(url, params={"command": "sleep 5"}))
                for _ in range(20)
            ]
            latencies: list[float] = []
            started = time.perf_counter()
            while not all(task.done() for task in slow):
                before = time.perf_counter()
                await health()
                latencies.append(time.perf_counter() - before)
                await asyncio.sleep(0.01)
            wall = time.perf_counter() - started
        for response in await asyncio.gather(*slow):
            response.raise_for_status()
    return Sample(latencies, wall)


#: Seconds over which the operator's idle CPU use is averaged.
IDLE_SECONDS = 20


def _pid(inst: setup.Installation, name: str) -> int:
    return next(p.pid for p in inst.product.processes if p.name == name)


async def _fleet(inst: setup.Installation) -> dict[str, float]:
    """Memory of the API with 1 and 101 clusters; the operator with 100 new ones."""
    api, operator = _pid(inst, "api"), _pid(inst, "operator")
    async with _client(headers={"Authorization": f"Bearer {inst.jwt}"}) as client:
        # Weigh the API once the first cluster's client exists and was used.
        (await client.get(inst.api() + "/namespaces")).raise_for_status()
        figures = {"api rss 1 cluster": rss_mib(api)}

        started = time.monotonic()
        with _profile(inst, "operator", "fleet-ready"):
            names = setup.register_many(inst, 100)
            while not set(names) <= setup.ready_names(inst.cluster):
                if time.monotonic() - started > 300:
                    raise TimeoutError("100 MayyamClusters did not become Ready within 300 s")
                await asyncio.sleep(0.2)
        figures["operator seconds to 100 ready"] = time.monotonic() - started

        # Build and use every cluster's client in the API, then weigh it.
        for name in names:
            (await client.get(inst.api(name) + "/namespaces")).raise_for_status()
    figures["api rss 101 clusters"] = rss_mib(api)

    before = cpu_seconds(operator)
    with _profile(inst, "operator", "fleet-idle"):
        await asyncio.sleep(IDLE_SECONDS)
    figures["operator idle cpu percent"] = (cpu_seconds(operator) - before) / IDLE_SECONDS * 100
    return figures


def _versions(cluster: Cluster) -> dict[str, str]:
    """The versions of Python and of the cluster's Kubernetes."""
    server = json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]["gitVersion"]
    return {"python": platform.python_version(), "kubernetes": server}


async def _benchmark(
    inst: setup.Installation, scenarios: list[str]
) -> tuple[dict[str, Sample], dict[str, float]]:
    samples: dict[str, Sample] = {}
    figures: dict[str, float] = {}
    if "lists" in scenarios:
        samples.update(_logged(await _lists(inst)))
    if "execs" in scenarios:
        samples.update(_logged(await _execs(inst)))
    if "healthz" in scenarios:
        samples.update(_logged({"healthz during exec load": await _healthz_under_exec_load(inst)}))
    if "fleet" in scenarios:
        figures.update(await _fleet(inst))
        log.info("Fleet: %s", figures)
    return samples, figures


def _logged(samples: dict[str, Sample]) -> dict[str, Sample]:
    for name, sample in samples.items():
        log.info("%s: %s", name, sample.summary())
    return samples


def main() -> None:
    global PROFILES
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--profile", type=Path, help="write py-spy profiles into this folder")
    args = parser.parse_args()
    PROFILES = args.profile
    if PROFILES is not None:
        # Profiles add up over a run's turns; start from none.
        for old in PROFILES.glob("*.txt"):
            old.unlink()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # One line per request of the load generator would drown the progress.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    started, load_before = time.monotonic(), os.getloadavg()[0]
    with local_clusters(["bench"]) as (cluster,):
        inst = setup.install(cluster)
        try:
            samples, figures = asyncio.run(_benchmark(inst, args.only or list(SCENARIOS)))
        finally:
            inst.product.stop()
        versions = _versions(cluster)
    log.info("Measured in %.0f s.", time.monotonic() - started)

    raw = {"samples": {k: v.summary() for k, v in samples.items()}, "figures": figures}
    if args.only:
        print(json.dumps(raw, indent=2))
        return
    about = {
        **versions,
        "machine": machine(),
        "load before": f"{load_before:.2f}",
        "load after": f"{os.getloadavg()[0]:.2f}",
    }
    rows: list[Row] = write_report(RESULTS, about, samples, figures)
    (RESULTS / "results.json").write_text(json.dumps({**raw, **about}, indent=2) + "\n")
    for row in rows:
        print(row.markdown())


if __name__ == "__main__":
    main()
