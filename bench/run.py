"""Tether against the official LangGraph dev server and the open scale-out peers, side by side,
in one run.

    uv run python bench/run.py            # full run
    uv run python bench/run.py --quick    # smaller sizes, one round
    uv run python bench/run.py --only firehose,resume --targets tether-pg --no-write
    uv run python bench/run.py --peers lrpg,graphharbor,aegra   # the peers installed in PEERS_DIR

Targets (`bench/targets.py`): the official `langgraph dev` (its own venv, `bench/.venv-official`,
built on first use), Tether embedded (SQLite), Tether on PostgreSQL + Redis with one API process
and one worker (`tether-pg`) or two workers (`tether-pg-2w`), and, opt-in, the open peers
(`bench/peers.py`) on the same PostgreSQL and Redis. All serve `examples/graphs.py` on free
loopback ports. One deployment is up at a time: in each round every target is started fresh,
given every scenario, and stopped, in an order reversed from one round to the next. Prints a
table with the aims checked against the same run, and writes `docs/benchmarks.json` and
`docs/benchmarks.png`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import peers
import psycopg
from official import official_versions
from probes import cpu_count, cpu_model, memory_total_gib, process_tree
from report import (
    Row,
    render_aims_markdown,
    render_chart,
    render_markdown,
    render_table,
    rows_for,
    targets_for,
)
from scenarios import FULL, QUICK, SCENARIOS, Sizes
from targets import (
    POSTGRES,
    REDIS,
    Official,
    Peer,
    Target,
    TetherEmbedded,
    TetherScaleOut,
    drop_database,
    stale_databases,
)

ROOT = Path(__file__).resolve().parent.parent

#: Scenarios that are costly enough to run once even in a full run.
ONE_ROUND = {"many_joiners", "killed_worker"}
TARGETS = ("official", "tether", "tether-pg", "tether-pg-2w")


def machine(peer_names: list[str]) -> dict[str, Any]:
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
        "official": _quiet(official_versions),
        "peers": {
            p: _quiet(peers.versions, p) for p in {n.removesuffix("-split") for n in peer_names}
        },
        "postgresql": _quiet(_postgres_version),
        "redis": _quiet(_redis_version),
    }


def _quiet(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"


def _postgres_version() -> str:
    with psycopg.connect(POSTGRES) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _redis_version() -> str:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


def run_scenarios(
    targets: list[Target],
    names: list[str],
    sizes: Sizes,
    rounds: int,
    timeout: float,
    log: Callable[[str], None],
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, Any], dict[str, str]]:
    """Run every scenario against every target, one deployment up at a time.

    Round by round, each target is started fresh, given every scenario of the round, and
    stopped; the order of the targets is reversed from one round to the next, so none is
    always measured on a warmer (or busier) machine. One deployment at a time keeps the
    PostgreSQL connections within the server's `max_connections` (100 here; a peer's
    process alone may open 40), and no idle deployment's pollers tax the one measured.
    Returns the results, the deployments' layout, and the targets that could not start."""
    results: dict[str, dict[str, list[Any]]] = {n: {t.name: [] for t in targets} for n in names}
    layout: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for round_no in range(rounds):
        scenarios = [n for n in names if round_no == 0 or n not in ONE_ROUND]
        if not scenarios:
            continue
        for target in targets if round_no % 2 == 0 else list(reversed(targets)):
            if target.name in failed:
                continue
            log(f"round {round_no + 1}: starting {target.name} ...")
            try:
                target.start()
            except Exception as exc:
                with contextlib.suppress(Exception):
                    target.stop()
                if not isinstance(target, Peer):
                    raise
                failed[target.name] = f"did not start: {str(exc)[-600:]}"
                log(f"  {target.name} {failed[target.name]}")
                continue
            try:
                cpu = idle_cpu(target)
                layout.setdefault(target.name, {**target.describe(), "idle_cpu_percent": cpu})
                log(
                    f"  {target.name}: {target.url} (pids {' '.join(map(str, target.pids()))}),"
                    f" {cpu:.1f} % of a core while idle"
                )
                for name in scenarios:
                    began = time.perf_counter()
                    try:
                        result = asyncio.run(
                            asyncio.wait_for(SCENARIOS[name](target, sizes), timeout)
                        )
                    except TimeoutError:
                        result = {"error": f"timed out after {timeout:.0f} s"}
                    except Exception as exc:  # a failing target must not end the run
                        result = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                    log(
                        f"  {name:<16} {target.name:<12} round {round_no + 1}: "
                        f"{time.perf_counter() - began:5.1f}s {_brief(result)}"
                    )
                    results[name][target.name].append(result)
            finally:
                target.stop()
    return results, layout, failed


def idle_cpu(target: Target, seconds: float = 3.0) -> float:
    """Percent of a core the deployment (its processes and their children) uses while
    nothing is asked of it."""

    def ticks() -> int:
        total = 0
        for pid in process_tree(*target.pids()):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total

    before = ticks()
    time.sleep(seconds)
    return 100 * (ticks() - before) / os.sysconf("SC_CLK_TCK") / seconds


def _brief(result: dict[str, Any]) -> str:
    if "error" in result or "skipped" in result:
        return str(result.get("error") or f"skipped: {result['skipped']}")[:160]
    keys = (
        "resumed_after_s",
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
    parser = argparse.ArgumentParser(description="Benchmark Tether against its peers.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round")
    parser.add_argument("--only", help=f"comma-separated scenarios: {','.join(SCENARIOS)}")
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help=f"comma-separated, of {','.join(TARGETS)}"
    )
    parser.add_argument(
        "--peers",
        default="",
        help="comma-separated open peers installed under PEERS_DIR"
        f" ({','.join((*peers.PEERS, *peers.SPLIT))}; -split: API-only process + one executing"
        " process), or 'all'; none by default",
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 2, quick 1)")
    parser.add_argument(
        "--scenario-timeout",
        type=float,
        default=420.0,
        help="seconds one scenario may take on one target before it is recorded as timed out",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "benchmarks.png")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="measure nothing: print the table and redraw the chart from --json",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="with --replot: print Markdown tables only"
    )
    args = parser.parse_args()
    if args.replot:
        document = json.loads(args.json.read_text())
        rows = [Row.load(row) for row in document["table"]]
        if args.markdown:
            print(render_markdown(rows) + "\n\n" + render_aims_markdown(document["targets"]))
            return
        print(render_table(rows, document["targets"]))
        if render_chart(rows, document, args.chart):
            print(f"wrote {args.chart}")
        return

    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or (1 if args.quick else 2)
    # The memory scenario goes first, on fresh servers: memory freed by earlier scenarios would
    # otherwise be reused by the joiners and hide part of their cost. The killed worker goes
    # last: it restarts workers.
    names = (
        args.only.split(",")
        if args.only
        else [
            "many_joiners",
            *(s for s in SCENARIOS if s not in ("many_joiners", "killed_worker")),
            "killed_worker",
        ]
    )
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    wanted = [t for t in args.targets.split(",") if t]
    if set(wanted) - set(TARGETS):
        parser.error(f"unknown targets: {', '.join(sorted(set(wanted) - set(TARGETS)))}")
    known = (*peers.PEERS, *peers.SPLIT)
    asked = list(known) if args.peers == "all" else [p for p in args.peers.split(",") if p]
    if set(asked) - set(known):
        parser.error(f"unknown peers: {', '.join(sorted(set(asked) - set(known)))}")
    asked = [p for p in known if p in asked]  # the table's order

    def log(text: str) -> None:
        print(text, flush=True)

    skipped = {p: why for p in asked if (why := peers.missing(p))}
    for peer, why in skipped.items():
        log(f"peer {peer} skipped: {why}")
    for name in stale_databases():
        log(f"dropping {name}, left behind by an earlier run")
        drop_database(name)

    run_tag = uuid.uuid4().hex[:8]
    chosen: list[Target] = []
    for name in wanted:
        if name == "official":
            chosen.append(Official())
        elif name == "tether":
            chosen.append(TetherEmbedded())
        else:
            chosen.append(TetherScaleOut(name, 2 if name.endswith("-2w") else 1, run_tag))
    chosen += [Peer(p, run_tag) for p in asked if p not in skipped]

    started = time.perf_counter()
    try:
        results, layout, failed = run_scenarios(
            chosen, names, sizes, rounds, args.scenario_timeout, log
        )
    finally:
        for target in chosen:
            with contextlib.suppress(Exception):
                target.stop()
    skipped.update(failed)
    for name in failed:
        for per_target in results.values():
            per_target.pop(name, None)
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
        "machine": machine([p for p in asked if p not in skipped]),
        "deployments": layout,
        "peers_skipped": skipped,
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
