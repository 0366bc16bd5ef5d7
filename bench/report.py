"""Turning scenario results into the table (one column per target), the aims checked against
the same run's figures, and the chart."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Results = dict[str, dict[str, list[Any]]]

#: Tether's scale-out targets, and the open peers, in the order the table shows them.
PG_TARGETS = ("tether-pg", "tether-pg-2w")
PEERS = ("lrpg", "lrpg-split", "graphharbor", "aegra", "aegra-split")
ORDER = ("official", "tether", *PG_TARGETS, *PEERS)


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    unit: str
    better: str  # "lower" | "higher"
    values: dict[str, float | None] = field(default_factory=dict)

    @classmethod
    def load(cls, row: dict[str, Any]) -> Row:
        """A row of `docs/benchmarks.json`, also of the two-column files before scale-out."""
        if "values" not in row:
            row = {
                **{k: row[k] for k in ("scenario", "metric", "unit", "better")},
                "values": {"official": row.get("official"), "tether": row.get("tether")},
            }
        return cls(**row)

    def best_peer(self) -> tuple[str, float] | None:
        found = [(p, v) for p, v in self.values.items() if p in PEERS and v is not None]
        if not found:
            return None
        pick = min if self.better == "lower" else max
        return pick(found, key=lambda item: item[1])

    def ratio(self, target: str, reference: str | None = None) -> float | None:
        """`target` / `reference` (default: the best peer on this metric)."""
        value = self.values.get(target)
        if reference is None:
            best = self.best_peer()
            base = best[1] if best else None
        else:
            base = self.values.get(reference)
        if value is None or base in (None, 0):
            return None
        return value / base


def _get(result: dict[str, Any], path: str) -> float | None:
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, bool):
        return float(value)
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
    ("killed_worker", "run succeeded (1 = yes)", "succeeded", "", "higher"),
    ("killed_worker", "kill -> next event", "resumed_after_s", "s", "lower"),
    ("killed_worker", "kill -> run success", "succeeded_after_s", "s", "lower"),
    ("killed_worker", "events lost", "events_lost", "", "lower"),
    ("killed_worker", "events repeated", "events_repeated", "", "lower"),
    ("killed_worker", "..in-flight step re-emit", "inflight_step_events_reemitted", "", "lower"),
]


def targets_in(results: Results) -> list[str]:
    found = {t for per_target in results.values() for t in per_target}
    return [t for t in ORDER if t in found] + sorted(found - set(ORDER))


def rows_for(results: Results) -> list[Row]:
    """One row per headline figure: the median over rounds for each target."""
    names = targets_in(results)
    specs: list[tuple[str, str, str, str, str]] = []
    for scenario, label, path, unit, better in _HEADLINES:
        if scenario not in results:
            continue
        if scenario == "throughput":
            ks: list[str] = []
            for rounds in results[scenario].values():
                for r in rounds:
                    ks += [k for k in r.get("by_clients", {}) if k not in ks]
            for k in ks:
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
            {t: _median(results[scenario].get(t, []), path) for t in names},
        )
        for scenario, label, path, unit, better in specs
    ]


def targets_for(results: Results) -> list[dict[str, Any]]:
    """The aims, checked against this run's figures: issue #4's for Tether embedded, the
    scale-out issue's for each Tether PostgreSQL + Redis deployment present."""
    names = targets_in(results)
    checks: list[dict[str, Any]] = []

    def med(scenario: str, target: str, path: str) -> float | None:
        if scenario not in results or target not in results[scenario]:
            return None
        return _median(results[scenario][target], path)

    def check(
        who: str, name: str, value: float | None, limit: float | None, at_most: bool, note: str = ""
    ) -> None:
        met = (
            None
            if value is None or limit is None
            else (value <= limit if at_most else value >= limit)
        )
        checks.append(
            {"who": who, "target": name, "value": value, "limit": limit, "met": met, "note": note}
        )

    def times(factor: float, value: float | None) -> float | None:
        return None if value is None else factor * value

    if "tether" in names:
        check(
            "tether",
            "sequential wait p50 <= 20 ms",
            med("sequential_wait", "tether", "p50_ms"),
            20.0,
            True,
        )
        check(
            "tether",
            "throughput >= 2x official best",
            med("throughput", "tether", "best_runs_per_s"),
            times(2, med("throughput", "official", "best_runs_per_s")),
            False,
        )
        check(
            "tether",
            "firehose >= 4x official",
            med("firehose", "tether", "events_per_s_first_to_last"),
            times(4, med("firehose", "official", "events_per_s_first_to_last")),
            False,
        )
        check(
            "tether",
            "join latency p50 <= official",
            med("join_latency", "tether", "p50_ms"),
            med("join_latency", "official", "p50_ms"),
            True,
        )
        check(
            "tether",
            "1,000 joiners < 100 KB each",
            med("many_joiners", "tether", "kb_per_joiner"),
            100.0,
            True,
        )

    peers = [p for p in names if p in PEERS]
    best_peer = None
    best_name = "no peer measured"
    for peer in peers:
        value = med("throughput", peer, "best_runs_per_s")
        if value is not None and (best_peer is None or value > best_peer):
            best_peer, best_name = value, peer
    for who in (t for t in PG_TARGETS if t in names):
        check(
            who,
            "throughput >= 4x best peer",
            med("throughput", who, "best_runs_per_s"),
            times(4, best_peer),
            False,
            f"best peer: {best_name}",
        )
        check(who, "sequential wait p50 <= 10 ms", med("sequential_wait", who, "p50_ms"), 10, True)
        check(
            who,
            "firehose >= 20k events/s",
            med("firehose", who, "events_per_s_first_to_last"),
            20_000,
            False,
        )
        check(
            who,
            "cross-process join p50 <= 1.5 ms",
            med("join_latency", who, "p50_ms"),
            1.5,
            True,
        )
        lease = med("killed_worker", who, "lease_seconds")
        check(
            who,
            "killed worker resumed within a lease",
            med("killed_worker", who, "resumed_after_s"),
            lease,
            True,
            f"lease {_fmt(lease)} s; kill -> success {_fmt(med('killed_worker', who, 'succeeded_after_s'))} s",
        )
        check(
            who,
            "killed worker: 0 events lost",
            med("killed_worker", who, "events_lost"),
            0,
            True,
        )
        check(
            who,
            "killed worker: 0 events repeated",
            med("killed_worker", who, "events_repeated"),
            0,
            True,
            "ids repeated + completed step re-run; the in-flight step re-emitted "
            f"{_fmt(med('killed_worker', who, 'inflight_step_events_reemitted'))}",
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


def _columns(rows: list[Row]) -> list[str]:
    found = {t for r in rows for t in r.values}
    return [t for t in ORDER if t in found] + sorted(found - set(ORDER))


def _ratio_spec(columns: list[str]) -> tuple[str, str, str | None] | None:
    """(header, target, reference) of the table's ratio column: tether-pg against lrpg (the
    best peer) when both ran, else against the best peer of the row, else Tether embedded
    against the official server."""
    if "tether-pg" in columns and "lrpg" in columns:
        return ("pg/lrpg", "tether-pg", "lrpg")
    if "tether-pg" in columns and any(p in columns for p in PEERS):
        return ("pg/peer", "tether-pg", None)
    if "tether" in columns and "official" in columns:
        return ("T/O", "tether", "official")
    return None


def render_table(rows: list[Row], checks: list[dict[str, Any]]) -> str:
    columns = _columns(rows)
    spec = _ratio_spec(columns)
    width = max(10, *(len(c) + 1 for c in columns))
    header = f"{'scenario':<15} {'metric':<25}" + "".join(f"{c:>{width}}" for c in columns)
    header += f" {'unit':<6}" + (f" {spec[0]:>8}" if spec else "") + "  better"
    lines = [header, "-" * len(header)]
    for row in rows:
        line = f"{row.scenario:<15} {row.metric:<25}"
        line += "".join(f"{_fmt(row.values.get(c)):>{width}}" for c in columns)
        line += f" {row.unit:<6}"
        if spec:
            ratio = row.ratio(spec[1], spec[2])
            line += f" {'-' if ratio is None else f'{ratio:.3g}x':>8}"
        lines.append(f"{line}  {row.better}")
    if spec and spec[0] == "pg/peer":
        lines.append("pg/peer = tether-pg / the best peer on that row")
    if spec and spec[0] == "pg/lrpg":
        lines.append("pg/lrpg = tether-pg / lrpg")
    lines.append("")
    lines.append("aims, against this run's figures:")
    for check in checks:
        mark = {True: "MET ", False: "MISS", None: "n/a "}[check["met"]]
        value = check.get("value", check.get("tether"))
        note = f"  [{check['note']}]" if check.get("note") else ""
        lines.append(
            f"  [{mark}] {check.get('who', 'tether'):<13} {check['target']:<38} {_fmt(value):>8}"
            f"  (limit {_fmt(check['limit'])}){note}"
        )
    return "\n".join(lines)


def render_markdown(rows: list[Row]) -> str:
    columns = _columns(rows)
    spec = _ratio_spec(columns)
    head = "| scenario | metric | " + " | ".join(columns) + " | unit |"
    rule = "|---|---|" + "---:|" * len(columns) + "---|"
    if spec:
        head += f" {spec[0]} |"
        rule += "---:|"
    lines = [head + " better |", rule + "---|"]
    for row in rows:
        line = f"| {row.scenario} | {row.metric} | "
        line += " | ".join(_fmt(row.values.get(c)) for c in columns) + f" | {row.unit} |"
        if spec:
            ratio = row.ratio(spec[1], spec[2])
            line += f" {'-' if ratio is None else f'{ratio:.3g}×'} |"
        lines.append(f"{line} {row.better} |")
    return "\n".join(lines)


def render_aims_markdown(checks: list[dict[str, Any]]) -> str:
    lines = ["| deployment | aim | value | limit | | note |", "|---|---|---:|---:|---|---|"]
    for check in checks:
        mark = {True: "met", False: "**missed**", None: "n/a"}[check["met"]]
        value = check.get("value", check.get("tether"))
        lines.append(
            f"| {check.get('who', 'tether')} | {check['target']} | {_fmt(value)} |"
            f" {_fmt(check['limit'])} | {mark} | {check.get('note', '')} |"
        )
    return "\n".join(lines)


_CHART_PANELS = [
    ("sequential_wait", "runs.wait p50", "1. sequential wait p50 (ms)"),
    ("first_event", "first event p50", "3. time to first event p50 (ms)"),
    ("firehose", "events/s first->last", "4. firehose (events/s)"),
    ("join_latency", "emit->receive p50", "5. join latency p50 (ms)"),
    ("resume", "rejoin -> last event", "6. rejoin to last event (ms)"),
    ("many_joiners", "server memory / joiner", "7. memory per joiner (KB)"),
    ("killed_worker", "kill -> run success", "8. killed worker: kill -> success (s)"),
]
_COLORS = {
    "official": "#9aa5b1",
    "tether": "#2a7de1",
    "tether-pg": "#0b4fa8",
    "tether-pg-2w": "#5aa9f0",
    "lrpg": "#e07b39",
    "lrpg-split": "#f2a772",
    "graphharbor": "#c9a227",
    "aegra": "#8e5bb5",
    "aegra-split": "#b99ad4",
}


def render_chart(rows: list[Row], document: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart (add it to the dev group)")
        return False
    by_key = {(r.scenario, r.metric): r for r in rows}
    columns = _columns(rows)
    colors = [_COLORS.get(c, "#555555") for c in columns]
    fig, axes = plt.subplots(2, 4, figsize=(18, 8.5))
    flat = list(axes.flat)
    # Panel 2: throughput against the number of clients.
    tp = flat[1]
    ks = [
        r.metric.split()[0][2:]
        for r in rows
        if r.scenario == "throughput" and r.metric.endswith("runs/s")
    ]
    if ks:
        for target, color in zip(columns, colors, strict=True):
            values = [by_key[("throughput", f"K={k} runs/s")].values.get(target) for k in ks]
            if all(v is None for v in values):
                continue
            tp.plot(
                [int(k) for k in ks],
                [v or 0 for v in values],
                marker="o",
                label=target,
                color=color,
            )
        tp.set_xscale("log", base=2)
        tp.set_yscale("symlog", linthresh=10)
        tp.set_ylim(bottom=0)
        tp.set_xticks([int(k) for k in ks], labels=ks)
        tp.set_xlabel("clients")
        tp.legend(fontsize=7)
    tp.set_title("2. throughput (runs/s)", fontsize=10)
    panels = [p for p in flat if p is not tp]
    for ax, (scenario, metric, title) in zip(panels, _CHART_PANELS, strict=False):
        row = by_key.get((scenario, metric))
        ax.set_title(title, fontsize=10)
        if row is None:
            ax.axis("off")
            continue
        shown = [(c, row.values.get(c), k) for c, k in zip(columns, colors, strict=True)]
        unfinished: set[str] = set()
        if scenario == "killed_worker":
            # A run not resumed within the wait: a hatched bar at the wait, labelled so.
            succeeded = by_key.get(("killed_worker", "run succeeded (1 = yes)"))
            wait = float(document.get("sizes", {}).get("kill_wait") or 0)
            if succeeded is not None and wait:
                unfinished = {c for c in columns if succeeded.values.get(c) == 0}
                shown = [(c, wait if c in unfinished else v, k) for c, v, k in shown]
        notes: dict[str, str] = {}
        if scenario == "resume":
            # A rejoin that lost events ends early: its time says nothing good.
            missing = by_key.get(("resume", "events missing"))
            for c in columns:
                lost = missing.values.get(c) if missing else None
                if lost and lost >= 1:
                    notes[c] = f" ({_fmt(lost)} lost)"
                    if lost >= 100:
                        unfinished.add(c)
        shown = [(c, v, k) for c, v, k in shown if v is not None]
        if not shown:
            ax.axis("off")
            continue
        values = [v for _, v, _ in shown]
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 30:
            ax.set_yscale("log")  # otherwise the smaller bars are invisible
        bars = ax.bar([c for c, _, _ in shown], values, color=[k for _, _, k in shown])
        for bar, (name, value, _) in zip(bars, shown, strict=True):
            if name in unfinished:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
            ax.annotate(
                (
                    f"> {_fmt(value)}"
                    if scenario == "killed_worker" and name in unfinished
                    else _fmt(value)
                )
                + notes.get(name, ""),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_xlabel(f"{row.better} is better", fontsize=8)
    m = document["machine"]
    fig.suptitle(
        f"Tether {m.get('tether')} (embedded, PostgreSQL + Redis) vs official langgraph dev "
        f"{m['official'].get('langgraph-api')} and the open peers - {m['cpu_count']} cores, "
        f"{m['cpu_model']}, Python {m['python']}, {document['mode']} run {document['generated_at']}",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
