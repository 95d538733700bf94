"""Mayyam against the direct alternatives, side by side, in one run.

Starts a local cluster, registers it with itself, and measures: listing 100
ConfigMaps and listing namespaces through Mayyam, directly against the
apiserver with the same credentials, and with ``kubectl get -o json``; exec
through Mayyam and with ``kubectl exec``; the API's memory with 1 and 100
registered clusters; the operator's time to make 100 new clusters Ready and
its idle CPU; and ``/healthz`` latency while 20 slow execs run. Writes
``benchmarks/results/results.md`` and ``results.png``.

Run as ``./dev bench``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx

from benchmarks import installation as setup
from benchmarks.load import Sample, measure_async, measure_command
from benchmarks.measures import cpu_seconds, machine, rss_mib
from benchmarks.report import Row, write_report
from mayyamdev.clusters import local_clusters

RESULTS = Path(__file__).resolve().parent / "results"
log = logging.getLogger("benchmarks")


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
    mayyam = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {inst.jwt}"},
        limits=httpx.Limits(max_connections=50),
        timeout=60,
    )
    direct = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {inst.token}"},
        verify=str(inst.ca_file),
        limits=httpx.Limits(max_connections=50),
        timeout=60,
    )
    samples: dict[str, Sample] = {}
    async with mayyam, direct:
        for what, (ours, theirs) in paths.items():
            for clients, total in ((1, 200), (50, 1000)):
                samples[f"{what} mayyam c{clients}"] = await measure_async(
                    _getter(mayyam, inst.api() + ours), total, clients
                )
                samples[f"{what} direct c{clients}"] = await measure_async(
                    _getter(direct, server + theirs), total, clients
                )
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


async def _execs(inst: setup.Installation) -> dict[str, Sample]:
    """Exec ``true`` and ``echo`` through Mayyam and with kubectl exec."""
    url = inst.api() + f"/namespaces/{setup.DATA}/pods/shell/exec"
    samples: dict[str, Sample] = {}
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {inst.jwt}"}, timeout=60
    ) as client:
        for command in ("true", "echo hello"):

            async def run(command: str = command) -> None:
                response = await client.post(url, params={"command": command})
                response.raise_for_status()

            samples[f"exec {command} mayyam"] = await measure_async(run, 50, 1)
            kubectl = inst.cluster.kubectl_command(
                "exec", "-n", setup.DATA, "shell", "--", *command.split()
            )
            samples[f"exec {command} kubectl"] = measure_command(kubectl, 50, 1)
    return samples


async def _healthz_under_exec_load(inst: setup.Installation) -> Sample:
    """``/healthz`` latency while 20 execs of ``sleep 5`` hold the API."""
    url = inst.api() + f"/namespaces/{setup.DATA}/pods/shell/exec"
    headers = {"Authorization": f"Bearer {inst.jwt}"}
    async with httpx.AsyncClient(
        headers=headers, timeout=60, limits=httpx.Limits(max_connections=40)
    ) as client:
        slow = [
            asyncio.create_task(client.post(url, params={"command": "sleep 5"})) for _ in range(20)
        ]
        await asyncio.sleep(0.5)
        health = _getter(client, f"{inst.product.api_url}/healthz")
        sample = await measure_async(health, 200, 1, warmup=0)
        for response in await asyncio.gather(*slow):
            response.raise_for_status()
    return sample


def _pid(inst: setup.Installation, name: str) -> int:
    return next(p.pid for p in inst.product.processes if p.name == name)


async def _fleet(inst: setup.Installation) -> dict[str, float]:
    """Memory of the API with 1 and 101 clusters; the operator with 100 new ones."""
    api, operator = _pid(inst, "api"), _pid(inst, "operator")
    figures = {"api rss 1 cluster": rss_mib(api)}

    started = time.monotonic()
    names = setup.register_many(inst, 100)
    while not set(names) <= setup.ready_names(inst.cluster):
        if time.monotonic() - started > 300:
            raise TimeoutError("100 MayyamClusters did not become Ready within 300 s")
        await asyncio.sleep(0.5)
    figures["operator seconds to 100 ready"] = time.monotonic() - started

    # Build every cluster's client in the API, then weigh it.
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {inst.jwt}"}, timeout=60
    ) as client:
        for name in names:
            (await client.get(inst.api(name) + "/namespaces")).raise_for_status()
    figures["api rss 101 clusters"] = rss_mib(api)

    before = cpu_seconds(operator)
    await asyncio.sleep(30)
    figures["operator idle cpu percent"] = (cpu_seconds(operator) - before) / 30 * 100
    return figures


async def _benchmark(inst: setup.Installation) -> tuple[dict[str, Sample], dict[str, float]]:
    samples = await _lists(inst)
    samples.update(await _execs(inst))
    samples["healthz during exec load"] = await _healthz_under_exec_load(inst)
    figures = await _fleet(inst)
    return samples, figures


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with local_clusters(["bench"]) as (cluster,):
        inst = setup.install(cluster)
        try:
            samples, figures = asyncio.run(_benchmark(inst))
        finally:
            inst.product.stop()
    rows: list[Row] = write_report(RESULTS, machine(), samples, figures)
    for row in rows:
        print(row.markdown())


if __name__ == "__main__":
    main()
