"""Turning scenario results into the table (with Tether/official ratios), the target checks,
and the chart."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Results = dict[str, dict[str, list[Any]]]


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    unit: str
    better: str  # "lower" | "higher"
    official: float | None
    tether: float | None

    @property
    def ratio(self) -> float | None:
        if self.official in (None, 0) or self.tether is None:
            return None
        return self.tether / self.official


def _get(result: dict[str, Any], path: str) -> float | None:
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) else None


def _median(rounds: list[dict[str, Any]], path: str) -> float | None:
    values = [v for v in (_get(r, path) for r in rounds) if v is not None]
    return statistics.median(values) if values else None


# (scenario, metric label, path in the result, unit, better)
_HEADLINES: list[tuple[str, str, str, str, str]] = [
    ("sequential_wait", "runs.wait p50", "p50_ms", "ms", "lower"),
    ("sequential_wait", "runs.wait p99", "p99_ms", "ms", "lower"),
    ("throughput", "best throughput", "best_runs_per_s", "runs/s", "higher"),
    ("first_event", "first event p50", "first_event.p50_ms", "ms", "lower"),
    ("first_event", "first event p99", "first_event.p99_ms", "ms", "lower"),
    ("firehose", "events/s first->last", "events_per_s_first_to_last", "ev/s", "higher"),
    ("firehose", "events/s request->end", "events_per_s_request_to_end", "ev/s", "higher"),
    ("join_latency", "emit->receive p50", "p50_ms", "ms", "lower"),
    ("join_latency", "emit->receive p99", "p99_ms", "ms", "lower"),
    ("resume", "rejoin -> first event", "first_event_after_rejoin_ms", "ms", "lower"),
    ("resume", "rejoin -> last event", "rejoin_to_last_event_ms", "ms", "lower"),
    ("resume", "events missing", "missing", "", "lower"),
    ("resume", "events repeated", "duplicates", "", "lower"),
    ("many_joiners", "server memory / joiner", "kb_per_joiner", "KB", "lower"),
    ("many_joiners", "emit->receive p50", "p50_ms", "ms", "lower"),
    ("many_joiners", "emit->receive p99", "p99_ms", "ms", "lower"),
    ("many_joiners", "fan-out spread p50", "fanout_spread_p50_ms", "ms", "lower"),
    ("many_joiners", "time to connect all", "connect_all_s", "s", "lower"),
]


def rows_for(results: Results) -> list[Row]:
    """One row per headline figure: the median over rounds for each server."""
    specs: list[tuple[str, str, str, str, str]] = []
    for scenario, label, path, unit, better in _HEADLINES:
        if scenario not in results:
            continue
        if scenario == "throughput":
            for k in results[scenario]["official"][0]["by_clients"]:
                specs.append(
                    (scenario, f"K={k} runs/s", f"by_clients.{k}.runs_per_s", "runs/s", "higher")
                )
                specs.append((scenario, f"K={k} p50", f"by_clients.{k}.p50_ms", "ms", "lower"))
        specs.append((scenario, label, path, unit, better))
    return [
        Row(
            scenario,
            label,
            unit,
            better,
            _median(results[scenario]["official"], path),
            _median(results[scenario]["tether"], path),
        )
        for scenario, label, path, unit, better in specs
    ]


def targets_for(results: Results) -> list[dict[str, Any]]:
    """The issue's targets for Tether embedded, checked against this run's figures."""

    def med(scenario: str, target: str, path: str) -> float | None:
        if scenario not in results:
            return None
        return _median(results[scenario][target], path)

    checks = []

    def check(name: str, value: float | None, limit: float | None, at_most: bool) -> None:
        met = (
            None
            if value is None or limit is None
            else (value <= limit if at_most else value >= limit)
        )
        checks.append({"target": name, "tether": value, "limit": limit, "met": met})

    def times(factor: float, value: float | None) -> float | None:
        return None if value is None else factor * value

    check("sequential wait p50 <= 20 ms", med("sequential_wait", "tether", "p50_ms"), 20.0, True)
    check(
        "throughput >= 2x official best",
        med("throughput", "tether", "best_runs_per_s"),
        times(2, med("throughput", "official", "best_runs_per_s")),
        False,
    )
    check(
        "firehose >= 4x official",
        med("firehose", "tether", "events_per_s_first_to_last"),
        times(4, med("firehose", "official", "events_per_s_first_to_last")),
        False,
    )
    check(
        "join latency p50 <= official",
        med("join_latency", "tether", "p50_ms"),
        med("join_latency", "official", "p50_ms"),
        True,
    )
    check(
        "1,000 joiners < 100 KB each", med("many_joiners", "tether", "kb_per_joiner"), 100.0, True
    )
    return checks


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_table(rows: list[Row], checks: list[dict[str, Any]]) -> str:
    header = f"{'scenario':<16} {'metric':<24} {'official':>10} {'tether':>10} {'unit':<7} {'T/O':>7}  better"
    lines = [header, "-" * len(header)]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.3g}x"
        lines.append(
            f"{row.scenario:<16} {row.metric:<24} {_fmt(row.official):>10} {_fmt(row.tether):>10} "
            f"{row.unit:<7} {ratio:>7}  {row.better}"
        )
    lines.append("")
    lines.append("targets for Tether embedded:")
    for check in checks:
        mark = {True: "MET ", False: "MISS", None: "n/a "}[check["met"]]
        lines.append(
            f"  [{mark}] {check['target']:<34} tether {_fmt(check['tether'])}"
            f"  (limit {_fmt(check['limit'])})"
        )
    return "\n".join(lines)


def render_markdown(rows: list[Row]) -> str:
    lines = [
        "| scenario | metric | official | Tether | unit | Tether/official | better |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.3g}×"
        lines.append(
            f"| {row.scenario} | {row.metric} | {_fmt(row.official)} | {_fmt(row.tether)} | "
            f"{row.unit} | {ratio} | {row.better} |"
        )
    return "\n".join(lines)


_CHART_PANELS = [
    ("sequential_wait", "runs.wait p50", "1. sequential wait p50 (ms)"),
    ("first_event", "first event p50", "3. time to first event p50 (ms)"),
    ("firehose", "events/s first->last", "4. firehose (events/s)"),
    ("join_latency", "emit->receive p50", "5. join latency p50 (ms)"),
    ("resume", "rejoin -> last event", "6. rejoin to last event (ms)"),
    ("many_joiners", "server memory / joiner", "7. memory per joiner (KB)"),
    ("many_joiners", "emit->receive p99", "7. many joiners: latency p99 (ms)"),
]


def render_chart(rows: list[Row], document: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart (add it to the dev group)")
        return False
    by_key = {(r.scenario, r.metric): r for r in rows}
    colors = {"official": "#9aa5b1", "tether": "#2a7de1"}
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5))
    flat = list(axes.flat)
    # Panel 2: throughput against the number of clients.
    tp = flat[1]
    ks = [
        r.metric.split()[0][2:]
        for r in rows
        if r.scenario == "throughput" and r.metric.endswith("runs/s")
    ]
    if ks:
        for target in ("official", "tether"):
            values = [getattr(by_key[("throughput", f"K={k} runs/s")], target) or 0 for k in ks]
            tp.plot([int(k) for k in ks], values, marker="o", label=target, color=colors[target])
        tp.set_xscale("log", base=2)
        tp.set_xticks([int(k) for k in ks], labels=ks)
        tp.set_xlabel("clients")
        tp.legend()
    tp.set_title("2. throughput (runs/s)", fontsize=10)
    panels = [p for p in flat if p is not tp]
    for ax, (scenario, metric, title) in zip(panels, _CHART_PANELS, strict=False):
        row = by_key.get((scenario, metric))
        ax.set_title(title, fontsize=10)
        if row is None:
            ax.axis("off")
            continue
        values = [row.official or 0, row.tether or 0]
        if min(values) > 0 and max(values) / min(values) > 30:
            ax.set_yscale("log")  # otherwise the smaller bar is invisible
        bars = ax.bar(["official", "tether"], values, color=[colors["official"], colors["tether"]])
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(
                _fmt(value),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        if row.ratio is not None:
            ax.set_xlabel(
                f"Tether/official = {row.ratio:.3g}x ({row.better} is better)", fontsize=9
            )
    m = document["machine"]
    fig.suptitle(
        f"Tether {m.get('tether')} (embedded) vs official langgraph dev "
        f"{m['official'].get('langgraph-api')} - {m['cpu_count']} cores, {m['cpu_model']}, "
        f"Python {m['python']}, {document['mode']} run {document['generated_at']}",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
