"""Tether against the official LangGraph dev server, side by side, in one run.

    uv run python bench/run.py            # full run, a few minutes
    uv run python bench/run.py --quick    # smaller sizes, under two minutes
    uv run python bench/run.py --only firehose,resume --no-write

Starts Tether (embedded: SQLite, in-process workers) and the official `langgraph dev` (its own
venv, `bench/.venv-official`, built on first use), both serving `examples/graphs.py` on free
loopback ports, and runs the seven scenarios of issue #4 against each, alternating which server
goes first from one round to the next. Prints a table with Tether/official ratios and the
targets, and writes `docs/benchmarks.json` and `docs/benchmarks.png`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from official import OfficialServer, ensure_venv, official_versions
from probes import cpu_count, cpu_model, memory_total_gib
from report import Row, render_chart, render_table, rows_for, targets_for
from scenarios import FULL, QUICK, SCENARIOS, Sizes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import ServerProcess  # noqa: E402  (the test suite's Tether launcher, reused)

#: Scenarios that are costly enough to run once even in a full run.
ONE_ROUND = {"many_joiners"}


@contextmanager
def tether_server() -> Iterator[ServerProcess]:
    with tempfile.TemporaryDirectory(prefix="tether-bench-") as data:
        server = ServerProcess(Path(data))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def machine() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return out.stdout.strip()

    return {
        "tether_commit": git("rev-parse", "--short", "HEAD"),
        "tether_src_modified": bool(git("status", "--porcelain", "--", "src")),
        "cpu_count": cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_total_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tether": version("tether-server"),
        "tether_langgraph": version("langgraph"),
        "tether_langchain_core": version("langchain-core"),
        "httpx_client": version("httpx"),
        "official": official_versions(),
    }


def run_scenarios(
    targets: dict[str, tuple[str, int]],
    names: list[str],
    sizes: Sizes,
    rounds: int,
    log: Callable[[str], None],
) -> dict[str, dict[str, list[Any]]]:
    results: dict[str, dict[str, list[Any]]] = {}
    order = list(targets)
    for name in names:
        scenario = SCENARIOS[name]
        per_target: dict[str, list[Any]] = {t: [] for t in order}
        for round_no in range(1 if name in ONE_ROUND else rounds):
            # Alternate which server goes first, so neither always runs on a warmer machine.
            for target in order if round_no % 2 == 0 else reversed(order):
                url, pid = targets[target]
                began = time.perf_counter()
                result = asyncio.run(scenario(url, pid, sizes))
                log(
                    f"  {name:<16} {target:<9} round {round_no + 1}: {time.perf_counter() - began:5.1f}s "
                    f"{_brief(result)}"
                )
                per_target[target].append(result)
        results[name] = per_target
    return results


def _brief(result: dict[str, Any]) -> str:
    keys = (
        "p50_ms",
        "best_runs_per_s",
        "events_per_s_first_to_last",
        "first_event_after_rejoin_ms",
        "kb_per_joiner",
    )
    for key in keys:
        if key in result and result[key] is not None:
            return f"{key}={result[key]:.1f}"
    if "first_event" in result:
        return f"first_event p50={result['first_event']['p50_ms']:.1f}ms"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark Tether against the official server.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round (< 2 min)")
    parser.add_argument("--only", help=f"comma-separated scenarios: {','.join(SCENARIOS)}")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 2, quick 1)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "benchmarks.png")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="measure nothing: print the table and redraw the chart from --json",
    )
    args = parser.parse_args()
    if args.replot:
        document = json.loads(args.json.read_text())
        rows = [Row(**row) for row in document["table"]]
        print(render_table(rows, document["targets"]))
        if render_chart(rows, document, args.chart):
            print(f"wrote {args.chart}")
        return

    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or (1 if args.quick else 2)
    # The memory scenario goes first, on fresh servers: memory freed by earlier scenarios would
    # otherwise be reused by the joiners and hide part of their cost.
    names = (
        args.only.split(",")
        if args.only
        else ["many_joiners", *(s for s in SCENARIOS if s != "many_joiners")]
    )
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.perf_counter()
    log("preparing the official server's venv (bench/.venv-official) ...")
    ensure_venv()
    with OfficialServer() as official, tether_server() as tether:
        for url in (official.url, tether.url):
            httpx.get(f"{url}/ok", timeout=5).raise_for_status()
        log(
            f"official: {official.url} (pid {official.pid})   tether: {tether.url} "
            f"(pid {tether.process.pid if tether.process else '?'})"
        )
        assert tether.process is not None
        targets = {
            "official": (official.url, official.pid),
            "tether": (tether.url, tether.process.pid),
        }
        results = run_scenarios(targets, names, sizes, rounds, log)
    elapsed = time.perf_counter() - started

    rows: list[Row] = rows_for(results)
    checks = targets_for(results)
    log("")
    log(render_table(rows, checks))
    log(f"\n{'quick' if args.quick else 'full'} run, {rounds} round(s), {elapsed:.0f} s")

    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "rounds": rounds,
        "duration_s": round(elapsed, 1),
        "machine": machine(),
        "sizes": asdict(sizes),
        "table": [asdict(r) for r in rows],
        "targets": checks,
        "results": results,
    }
    if not args.no_write:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2, default=_finite) + "\n")
        log(f"wrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
        if render_chart(rows, document, args.chart):
            log(
                f"wrote {args.chart.relative_to(ROOT) if args.chart.is_relative_to(ROOT) else args.chart}"
            )


def _finite(value: Any) -> Any:
    return str(value)


if __name__ == "__main__":
    main()
