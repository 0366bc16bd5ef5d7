"""Big event logs: does a long run or a long replay hurt the server? (issue: scale-out, part 1)

    uv run python bench/big_logs.py                  # 600,000-event run, 300,000-event replays
    uv run python bench/big_logs.py --events 100000  # smaller
    uv run python bench/big_logs.py --postgres       # the PostgreSQL + Redis backend (1 process)

Measures, on one Tether process:
1. peak server memory (RSS) while one run writes `--events` events and nobody reads them;
2. `GET /ok` latency while three clients replay that run's whole log at once;
3. `GET /ok` latency while 100 clients join the run from the start and never read.

Before the seam work, a 600,000-event run took the server to 2.7 GB, three replays of 300,000
events made `/ok` wait 39 s, and 100 idle joiners made the server unresponsive for minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from probes import RssSampler, frames

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import POSTGRES_ADMIN_URL, REDIS_URL, ServerProcess, postgres_url  # noqa: E402


async def _probe_ok(url: str, stop: asyncio.Event) -> list[float]:
    """`GET /ok` every 50 ms until `stop`; the latencies in ms."""
    latencies = []
    async with httpx.AsyncClient(timeout=600) as client:
        while not stop.is_set():
            began = time.perf_counter()
            (await client.get(f"{url}/ok")).raise_for_status()
            latencies.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.05)
    return latencies


def _summary(latencies: list[float]) -> str:
    if not latencies:
        return "no probe"
    ordered = sorted(latencies)
    return (
        f"/ok p50 {statistics.median(ordered):.1f} ms, "
        f"p99 {ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0]:.1f} ms, "
        f"max {ordered[-1]:.1f} ms over {len(ordered)} probes"
    )


async def _replay(url: str, thread_id: str, run_id: str) -> int:
    count = 0
    headers = {"Last-Event-ID": "0"}
    async with (
        httpx.AsyncClient(timeout=600) as client,
        client.stream(
            "GET", f"{url}/threads/{thread_id}/runs/{run_id}/stream", headers=headers
        ) as response,
    ):
        async for _ in frames(response):
            count += 1
    return count


async def measure(url: str, pid: int, events: int, replay_events: int) -> None:
    async with httpx.AsyncClient(timeout=600) as client:
        thread_id = (await client.post(f"{url}/threads", json={})).json()["thread_id"]
        sampler = RssSampler(pid, interval=0.1).__enter__()
        began = time.perf_counter()
        await client.post(
            f"{url}/threads/{thread_id}/runs/wait",
            json={
                "assistant_id": "firehose",
                "input": {"n_events": events},
                "stream_mode": ["custom"],
            },
        )
        took = time.perf_counter() - began
        sampler.__exit__()
        print(
            f"1. a {events:,}-event run, no reader: {took:.1f} s ({events / took:,.0f} events/s),"
            f" server RSS peak {sampler.peak / 1024:,.0f} MB"
            f" (at start {sampler.samples[0][1] / 1024:,.0f} MB)",
            flush=True,
        )

        replay_thread = (await client.post(f"{url}/threads", json={})).json()["thread_id"]
        replayed = (
            await client.post(
                f"{url}/threads/{replay_thread}/runs",
                json={
                    "assistant_id": "firehose",
                    "input": {"n_events": replay_events},
                    "stream_mode": ["custom"],
                },
            )
        ).json()
        await client.get(f"{url}/threads/{replay_thread}/runs/{replayed['run_id']}/join")

    stop = asyncio.Event()
    probe = asyncio.create_task(_probe_ok(url, stop))
    began = time.perf_counter()
    counts = await asyncio.gather(
        *(_replay(url, replay_thread, replayed["run_id"]) for _ in range(3))
    )
    took = time.perf_counter() - began
    stop.set()
    print(
        f"2. three clients replay {replay_events:,} events at once: {took:.1f} s,"
        f" each got {counts} frames; {_summary(await probe)}",
        flush=True,
    )

    # 100 clients join from the start and never read: their sockets fill, the server must not.
    sampler = RssSampler(pid, interval=0.1).__enter__()
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe_ok(url, stop))
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(timeout=600, limits=limits) as idle:
        streams = [
            idle.stream(
                "GET",
                f"{url}/threads/{replay_thread}/runs/{replayed['run_id']}/stream",
                headers={"Last-Event-ID": "0"},
            )
            for _ in range(100)
        ]
        opened = [await s.__aenter__() for s in streams]
        await asyncio.sleep(10)
        stop.set()
        for stream in streams:
            await stream.__aexit__(None, None, None)
        assert all(r.status_code == 200 for r in opened)
    sampler.__exit__()
    print(
        f"3. 100 joiners that never read, for 10 s: {_summary(await probe)};"
        f" server RSS peak {sampler.peak / 1024:,.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=600_000)
    parser.add_argument("--replay-events", type=int, default=300_000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis backend")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tether-big-logs-") as folder:
        server = ServerProcess(Path(folder))
        database = None
        if args.postgres:
            database = f"tether_big_logs_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {database}")  # type: ignore[arg-type]
            server.env.update(
                TETHER_DATABASE_URL=postgres_url(database),
                TETHER_REDIS_URL=REDIS_URL,
                TETHER_REDIS_PREFIX=database,
                TETHER_MIGRATE="1",
            )
        server.start()
        try:
            assert server.process is not None
            print(f"tether ({'postgres + redis' if args.postgres else 'sqlite'}) at {server.url}")
            asyncio.run(measure(server.url, server.process.pid, args.events, args.replay_events))
        finally:
            server.stop()
            if database is not None:
                with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
