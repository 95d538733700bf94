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
    kubectl50 = s[f"{what} kubectl c50"]
    return [
        Row(
            f"list {what}, median, 1 client",
            _ms(ours1.median_ms),
            f"direct {_ms(direct1.median_ms)}; kubectl {_ms(kubectl1.median_ms)}",
            f"{median_ratio:.2f}x (kubectl {kubectl1.median_ms / direct1.median_ms:.1f}x)",
            "≤ 1.3x direct",
            median_ratio <= 1.3,
        ),
        Row(
            f"list {what}, p99, 1 client",
            _ms(ours1.p99_ms),
            f"direct {_ms(direct1.p99_ms)}; kubectl {_ms(kubectl1.p99_ms)}",
            f"{ours1.p99_ms / direct1.p99_ms:.2f}x "
            f"(kubectl {kubectl1.p99_ms / direct1.p99_ms:.1f}x)",
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
            f"direct {direct50.throughput:.0f} req/s; kubectl {kubectl50.throughput:.1f} req/s",
            f"{throughput_ratio:.2f}x (kubectl {kubectl50.throughput / direct50.throughput:.2f}x)",
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
    """Bars of ratios against the direct alternative: below 1 is faster."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (lists, execs) = plt.subplots(
        1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 1]}
    )
    measures = [
        ("median\n1 client", lambda x: x.median_ms, 1, False),
        ("p99\n1 client", lambda x: x.p99_ms, 1, False),
        ("median\n50 clients", lambda x: x.median_ms, 50, False),
        ("1 / throughput\n50 clients", lambda x: 1 / x.throughput, 50, True),
    ]
    labels, width = [], 0.2
    for g, what in enumerate(("configmaps", "namespaces")):
        for m, (label, figure_of, clients, _) in enumerate(measures):
            x = g * (len(measures) + 1) + m
            labels.append((x + width / 2, f"{what}\n{label}"))
            direct = figure_of(s[f"{what} direct c{clients}"])
            for w, (way, colour) in enumerate((("mayyam", "C0"), ("kubectl", "C2"))):
                ratio = figure_of(s[f"{what} {way} c{clients}"]) / direct
                lists.bar(x + w * width, ratio, width, color=colour, label=way if x == 0 else None)
    lists.axhline(1, color="black", linewidth=0.8)
    lists.axhline(1.3, color="C3", linestyle="--", linewidth=0.8, label="target, median (1.3)")
    lists.axhline(1 / 0.7, color="C1", linestyle=":", linewidth=0.8, label="target, 1/throughput")
    lists.set_xticks([x for x, _ in labels], [t for _, t in labels], fontsize=7)
    lists.set_yscale("log")
    lists.set_ylabel("ratio to the direct apiserver call (log)")
    lists.set_title("Lists: time against the direct call")
    lists.legend(fontsize=8)

    commands = ["true", "echo hello"]
    for c, command in enumerate(commands):
        ours, kubectl = s[f"exec {command} mayyam"], s[f"exec {command} kubectl"]
        execs.bar(
            c - width / 2,
            ours.median_ms / kubectl.median_ms,
            width,
            color="C0",
            label="median" if c == 0 else None,
        )
        execs.bar(
            c + width / 2,
            ours.p99_ms / kubectl.p99_ms,
            width,
            color="C9",
            label="p99" if c == 0 else None,
        )
    execs.axhline(1, color="black", linewidth=0.8)
    execs.set_xticks(range(len(commands)), [f"exec {c}" for c in commands])
    execs.set_ylabel("Mayyam's time / kubectl exec's")
    execs.set_title("Exec against kubectl exec")
    execs.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _raw_lines(samples: dict[str, Sample]) -> list[str]:
    lines = [
        "| scenario | requests | median | p99 | throughput | load generator CPU "
        "| API CPU per request |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in samples.items():
        lines.append(
            f"| {name} | {len(s.latencies)} | {_ms(s.median_ms)} | {_ms(s.p99_ms)} "
            f"| {s.throughput:.1f} req/s | {s.client_cpu_percent:.0f} % of a core "
            f"| {f'{s.server_cpu_ms_per_request:.2f} ms' if s.server_cpu else '-'} |"
        )
    return lines


def write_report(
    directory: Path, about: dict[str, str], samples: dict[str, Sample], figures: dict[str, float]
) -> list[Row]:
    """Write results.md and results.png into ``directory``; return the rows."""
    rows = _list_rows("configmaps", samples) + _list_rows("namespaces", samples)
    rows += _exec_rows(samples) + _fleet_rows(figures, samples["healthz during exec load"])
    directory.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmark results",
        "",
        f"Measured {today} with `./dev bench`.",
        "",
        f"- Machine: {about['machine']}",
        f"- Python {about['python']}, Kubernetes {about['kubernetes']} (local cluster)",
        f"- Load average (1 min) {about['load before']} before the run, "
        f"{about['load after']} after it (the run's own processes count: kubectl at 50",
        "  clients alone is 50 processes)",
        "",
        "Mayyam, the apiserver, etcd, the kubelet, kubectl and the load generator share",
        "the machine; every ratio compares runs of the same scenario in the same run.",
        "",
        "| metric | Mayyam | baseline | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
        *(row.markdown() for row in rows),
        "",
        "What each figure means, and what the profiles say of the targets missed:",
        "[the benchmarks' README](../README.md).",
        "",
        "![Latency of Mayyam against the direct alternatives](results.png)",
        "",
        "## Raw numbers",
        "",
        *_raw_lines(samples),
        "",
        *(f"- {name}: {value:.2f}" for name, value in figures.items()),
        "",
    ]
    (directory / "results.md").write_text("\n".join(lines))
    _plot(directory / "results.png", samples)
    return rows
