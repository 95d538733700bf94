"""The benchmark's results as a Markdown table and a PNG plot."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import Sample


@dataclass(frozen=True)
class Row:
    """One measured figure, what it is compared with, and its target."""

    metric: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: bool | None

    def markdown(self) -> str:
        verdict = {True: "met", False: "**missed**", None: "-"}[self.met]
        return (
            f"| {self.metric} | {self.value} | {self.baseline} | {self.ratio} "
            f"| {self.target} | {verdict} |"
        )


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _list_rows(what: str, s: dict[str, Sample]) -> list[Row]:
    ours1, direct1 = s[f"{what} mayyam c1"], s[f"{what} direct c1"]
    ours50, direct50 = s[f"{what} mayyam c50"], s[f"{what} direct c50"]
    kubectl1 = s[f"{what} kubectl c1"]
    median_ratio = ours1.median_ms / direct1.median_ms
    throughput_ratio = ours50.throughput / direct50.throughput
    return [
        Row(
            f"list {what}, median, 1 client",
            _ms(ours1.median_ms),
            f"direct {_ms(direct1.median_ms)}; kubectl {_ms(kubectl1.median_ms)}",
            f"{median_ratio:.2f}x",
            "≤ 1.3x direct",
            median_ratio <= 1.3,
        ),
        Row(
            f"list {what}, p99, 1 client",
            _ms(ours1.p99_ms),
            f"direct {_ms(direct1.p99_ms)}; kubectl {_ms(kubectl1.p99_ms)}",
            f"{ours1.p99_ms / direct1.p99_ms:.2f}x",
            "",
            None,
        ),
        Row(
            f"list {what}, median / p99, 50 clients",
            f"{_ms(ours50.median_ms)} / {_ms(ours50.p99_ms)}",
            f"direct {_ms(direct50.median_ms)} / {_ms(direct50.p99_ms)}",
            f"{ours50.median_ms / direct50.median_ms:.2f}x",
            "",
            None,
        ),
        Row(
            f"list {what}, throughput, 50 clients",
            f"{ours50.throughput:.0f} req/s",
            f"direct {direct50.throughput:.0f} req/s; "
            f"kubectl {s[f'{what} kubectl c50'].throughput:.0f} req/s",
            f"{throughput_ratio:.2f}x",
            "≥ 0.7x direct",
            throughput_ratio >= 0.7,
        ),
    ]


def _exec_rows(s: dict[str, Sample]) -> list[Row]:
    rows = []
    for command in ("true", "echo hello"):
        ours, kubectl = s[f"exec {command} mayyam"], s[f"exec {command} kubectl"]
        ratio = ours.median_ms / kubectl.median_ms
        rows.append(
            Row(
                f"exec `{command}`, median / p99",
                f"{_ms(ours.median_ms)} / {_ms(ours.p99_ms)}",
                f"kubectl exec {_ms(kubectl.median_ms)} / {_ms(kubectl.p99_ms)}",
                f"{ratio:.2f}x",
                "faster than kubectl exec",
                ratio < 1,
            )
        )
    return rows


def _fleet_rows(f: dict[str, float], healthz: Sample) -> list[Row]:
    per_cluster = (f["api rss 101 clusters"] - f["api rss 1 cluster"]) / 100
    seconds = f["operator seconds to 100 ready"]
    return [
        Row(
            "API memory per registered cluster",
            f"{per_cluster:.2f} MiB",
            f"RSS {f['api rss 1 cluster']:.0f} MiB with 1, "
            f"{f['api rss 101 clusters']:.0f} MiB with 101",
            "",
            "≤ 1 MiB",
            per_cluster <= 1,
        ),
        Row(
            "operator: 100 new clusters Ready", f"{seconds:.1f} s", "", "", "≤ 30 s", seconds <= 30
        ),
        Row(
            "operator CPU, idle with 101 clusters",
            f"{f['operator idle cpu percent']:.1f} % of a core",
            "",
            "",
            "",
            None,
        ),
        Row(
            "/healthz p99 during 20 execs of `sleep 5`",
            _ms(healthz.p99_ms),
            f"median {_ms(healthz.median_ms)}",
            "",
            "< 50 ms",
            healthz.p99_ms < 50,
        ),
    ]


def _plot(path: Path, s: dict[str, Sample]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = ["configmaps", "namespaces"]
    ways = ["mayyam", "direct", "kubectl"]
    figure, (lists, execs) = plt.subplots(1, 2, figsize=(11, 4.5))
    width = 0.25
    for i, way in enumerate(ways):
        medians = [s[f"{g} {way} c1"].median_ms for g in groups]
        lists.bar([x + i * width for x in range(len(groups))], medians, width, label=way)
    lists.set_xticks([x + width for x in range(len(groups))], [f"list {g}" for g in groups])
    lists.set_ylabel("median latency, 1 client (ms)")
    lists.set_yscale("log")
    lists.legend()

    commands = ["true", "echo hello"]
    for i, way in enumerate(["mayyam", "kubectl"]):
        medians = [s[f"exec {c} {way}"].median_ms for c in commands]
        execs.bar([x + i * width for x in range(len(commands))], medians, width, label=way)
    execs.set_xticks([x + width / 2 for x in range(len(commands))], [f"exec {c}" for c in commands])
    execs.set_ylabel("median latency (ms)")
    execs.legend()
    figure.suptitle("Mayyam against the direct alternatives")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def write_report(
    directory: Path, machine: str, samples: dict[str, Sample], figures: dict[str, float]
) -> list[Row]:
    """Write results.md and results.png into ``directory``; return the rows."""
    rows = _list_rows("configmaps", samples) + _list_rows("namespaces", samples)
    rows += _exec_rows(samples) + _fleet_rows(figures, samples["healthz during exec load"])
    directory.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmark results",
        "",
        f"Measured {today} with `./dev bench` on {machine}. Mayyam, the apiserver, kubectl",
        "and the load generator share the machine; ratios compare runs of the same",
        "scenario in the same session.",
        "",
        "| metric | Mayyam | baseline | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
        *(row.markdown() for row in rows),
        "",
        "![Latency of Mayyam against the direct alternatives](results.png)",
        "",
    ]
    (directory / "results.md").write_text("\n".join(lines))
    _plot(directory / "results.png", samples)
    return rows
