"""The benchmark scenarios, each an async function of one target (`bench/targets.py`).

The seven of issue #4 and, for the scale-out issue, `killed_worker`. Every scenario talks plain
HTTP with httpx (no SDK in the measured path) and returns a dict of figures; `bench/run.py` runs
each against every target in turn. The sizes come from a `Sizes` (full or quick).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from probes import Frame, RssSampler, frames, percentile, rss_kb, summary_ms
from targets import Target


@dataclass(frozen=True)
class Sizes:
    seq_seconds: float
    seq_max_runs: int
    tp_clients: tuple[int, ...]
    tp_seconds: float
    ttfe_runs: int
    firehose_events: int
    firehose_repeats: int
    join_events: int
    join_delay: float
    resume_events: int
    resume_delay: float
    joiners: int
    joiner_ticks: int
    joiner_delay: float
    kill_delay: float
    kill_wait: float


FULL = Sizes(
    seq_seconds=12,
    seq_max_runs=300,
    tp_clients=(1, 4, 16, 64),
    tp_seconds=6,
    ttfe_runs=12,
    firehose_events=10_000,
    firehose_repeats=2,
    join_events=200,
    join_delay=0.02,
    resume_events=10_000,
    resume_delay=0.0002,
    joiners=1000,
    joiner_ticks=10,
    joiner_delay=0.5,
    kill_delay=0.5,
    kill_wait=300,
)
QUICK = Sizes(
    seq_seconds=4,
    seq_max_runs=100,
    tp_clients=(1, 4, 16, 64),
    tp_seconds=2.5,
    ttfe_runs=4,
    firehose_events=10_000,
    firehose_repeats=1,
    join_events=100,
    join_delay=0.02,
    resume_events=10_000,
    resume_delay=0.0002,
    joiners=1000,
    joiner_ticks=6,
    joiner_delay=0.5,
    kill_delay=0.3,
    kill_wait=90,
)

TIMEOUT = httpx.Timeout(120.0, connect=30.0, pool=60.0)
SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


def _client(url: str, connections: int = 16) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits)


async def _thread(client: httpx.AsyncClient) -> str:
    response = await client.post("/threads", json={})
    response.raise_for_status()
    return str(response.json()["thread_id"])


async def _wait_trivial(client: httpx.AsyncClient, thread_id: str) -> None:
    response = await client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "trivial", "input": {}}
    )
    response.raise_for_status()
    if "__error__" in response.content[:200].decode(errors="replace"):
        raise RuntimeError(response.text)


# 1 ---------------------------------------------------------------------------------------


async def sequential_wait(target: Target, sizes: Sizes) -> dict[str, Any]:
    """One client, one thread, `runs.wait` on `trivial` back to back (after one warm-up run)."""
    url = target.url
    async with _client(url) as client:
        thread_id = await _thread(client)
        await _wait_trivial(client, thread_id)
        latencies: list[float] = []
        deadline = time.perf_counter() + sizes.seq_seconds
        while len(latencies) < sizes.seq_max_runs and time.perf_counter() < deadline:
            start = time.perf_counter()
            await _wait_trivial(client, thread_id)
            latencies.append(time.perf_counter() - start)
    return summary_ms(latencies)


# 2 ---------------------------------------------------------------------------------------


async def throughput(target: Target, sizes: Sizes) -> dict[str, Any]:
    """K clients, each on its own thread, create+wait `trivial` runs for a fixed time.

    Only runs that finish inside the window count; runs still in flight at the end are awaited
    and dropped."""
    url = target.url
    results: dict[str, Any] = {}
    for k in sizes.tp_clients:
        results[str(k)] = await _throughput_at(url, k, sizes.tp_seconds)
    best = max(results.values(), key=lambda r: r["runs_per_s"])
    return {"by_clients": results, "best_runs_per_s": best["runs_per_s"]}


async def _throughput_at(url: str, k: int, seconds: float) -> dict[str, Any]:
    # One connection per client: a shared httpx pool of 64 connections costs the load generator
    # several times more CPU per request than the server spends (measured), capping K=64.
    latencies: list[float] = []
    errors = 0
    clients = [_client(url, connections=1) for _ in range(k)]
    try:
        threads = await asyncio.gather(*(_thread(c) for c in clients))
        deadline = time.perf_counter() + seconds

        async def worker(client: httpx.AsyncClient, thread_id: str) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    await _wait_trivial(client, thread_id)
                except (httpx.HTTPError, RuntimeError):
                    errors += 1
                    continue
                done = time.perf_counter()
                if done <= deadline:
                    latencies.append(done - began)

        await asyncio.gather(*(worker(c, t) for c, t in zip(clients, threads, strict=True)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {"runs_per_s": len(latencies) / seconds, "errors": errors, **summary_ms(latencies)}


# 3 ---------------------------------------------------------------------------------------


async def first_event(target: Target, sizes: Sizes) -> dict[str, Any]:
    """`POST /threads/{tid}/runs/stream` (trivial, values) on a fresh thread: time to the first
    event (`metadata`), to the first `values`, and to the end of the stream."""
    url = target.url
    first, first_values, whole = [], [], []
    async with _client(url) as client:
        for _ in range(sizes.ttfe_runs):
            thread_id = await _thread(client)
            body = {"assistant_id": "trivial", "input": {}, "stream_mode": ["values"]}
            start = time.perf_counter()
            got_first = got_values = None
            async with client.stream(
                "POST", f"/threads/{thread_id}/runs/stream", json=body, headers=SSE_HEADERS
            ) as response:
                response.raise_for_status()
                async for frame in frames(response):
                    now = time.perf_counter()
                    if got_first is None:
                        got_first = now
                    if frame.event == "values" and got_values is None:
                        got_values = now
            end = time.perf_counter()
            if got_first is not None:
                first.append(got_first - start)
            if got_values is not None:
                first_values.append(got_values - start)
            whole.append(end - start)
    return {
        "first_event": summary_ms(first),
        "first_values": summary_ms(first_values),
        "whole_stream": summary_ms(whole),
    }


# 4 ---------------------------------------------------------------------------------------


async def firehose(target: Target, sizes: Sizes) -> dict[str, Any]:
    """Stateless `runs.stream` of `firehose` (n custom events from a sync node): events/s from
    the first to the last event, and from the request to the end of the stream."""
    url = target.url
    rounds = []
    async with _client(url) as client:
        for _ in range(sizes.firehose_repeats):
            body = {
                "assistant_id": "firehose",
                "input": {"n_events": sizes.firehose_events},
                "stream_mode": ["custom"],
            }
            start = time.perf_counter()
            first_at = last_at = None
            count = 0
            lags = []
            async with client.stream(
                "POST", "/runs/stream", json=body, headers=SSE_HEADERS
            ) as response:
                response.raise_for_status()
                async for frame in frames(response):
                    if frame.event != "custom":
                        continue
                    now = time.perf_counter()
                    first_at = first_at or now
                    last_at = now
                    count += 1
                    if count % 50 == 0:  # a sample of emit->receive lags, cheap to parse
                        lags.append(frame.received - orjson.loads(frame.data)["t"])
            end = time.perf_counter()
            span = (last_at - first_at) if first_at and last_at and last_at > first_at else None
            rounds.append(
                {
                    "events": count,
                    "events_per_s_first_to_last": (count - 1) / span if span else None,
                    "events_per_s_request_to_end": count / (end - start),
                    "seconds_request_to_end": end - start,
                    "lag_p50_ms": percentile([x * 1000 for x in lags], 50),
                    "lag_max_ms": max(lags) * 1000 if lags else None,
                }
            )
    best = max(rounds, key=lambda r: r["events_per_s_first_to_last"] or 0)
    return {"rounds": rounds, **best}


# 5 ---------------------------------------------------------------------------------------


async def join_latency(target: Target, sizes: Sizes) -> dict[str, Any]:
    """A background `ticker` run (n events, `delay` apart) joined with `join_stream` right after
    it is created: emit timestamp -> client receipt, per event."""
    url = target.url
    async with _client(url) as client:
        thread_id = await _thread(client)
        body = {
            "assistant_id": "ticker",
            "stream_mode": ["custom"],
            "input": {"n_events": sizes.join_events, "delay": sizes.join_delay},
        }
        response = await client.post(f"/threads/{thread_id}/runs", json=body)
        response.raise_for_status()
        run_id = response.json()["run_id"]
        lags = []
        async with client.stream(
            "GET", f"/threads/{thread_id}/runs/{run_id}/stream", headers=SSE_HEADERS
        ) as stream:
            stream.raise_for_status()
            async for frame in frames(stream):
                if frame.event == "custom":
                    lags.append(frame.received - orjson.loads(frame.data)["t"])
    return {"received": len(lags), "expected": sizes.join_events, **summary_ms(lags)}


# 6 ---------------------------------------------------------------------------------------


async def resume(target: Target, sizes: Sizes) -> dict[str, Any]:
    """A resumable `ticker` run of n events (tiny delay, so it is still running at the middle):
    read half of it from `runs.stream`, drop the connection, rejoin with `Last-Event-ID` of the
    last event read. Cost = time to the first event after the rejoin, and to the last event;
    correctness = events missing or repeated across the two connections."""
    url = target.url
    n = sizes.resume_events
    half = n // 2
    async with _client(url) as client:
        thread_id = await _thread(client)
        body = {
            "assistant_id": "ticker",
            "stream_mode": ["custom"],
            "stream_resumable": True,
            "input": {"n_events": n, "delay": sizes.resume_delay},
        }
        seen: list[int] = []
        last_id = location = None
        async with client.stream(
            "POST", f"/threads/{thread_id}/runs/stream", json=body, headers=SSE_HEADERS
        ) as response:
            response.raise_for_status()
            location = response.headers.get("location")
            async for frame in frames(response):
                if frame.event == "custom":
                    seen.append(orjson.loads(frame.data)["i"])
                    last_id = frame.id
                    if len(seen) >= half:
                        break
        assert location and last_id, "no Location header or no event ids"
        run_path = location.removesuffix("/stream")
        status = (await client.get(run_path)).json().get("status")
        start = time.perf_counter()
        first_after = None
        after: list[int] = []
        async with client.stream(
            "GET", location, headers={**SSE_HEADERS, "Last-Event-ID": last_id}
        ) as response:
            response.raise_for_status()
            async for frame in frames(response):
                if frame.event == "custom":
                    first_after = first_after or time.perf_counter()
                    after.append(orjson.loads(frame.data)["i"])
        end = time.perf_counter()
    combined = seen + after
    unique = set(combined)
    return {
        "status_at_rejoin": status,
        "read_before_drop": len(seen),
        "received_after_rejoin": len(after),
        "first_event_after_rejoin_ms": (first_after - start) * 1000 if first_after else None,
        "rejoin_to_last_event_ms": (end - start) * 1000,
        "missing": n - len(unique),
        "duplicates": len(combined) - len(unique),
        "first_index_after_rejoin": after[0] if after else None,
    }


# 7 ---------------------------------------------------------------------------------------


async def many_joiners(target: Target, sizes: Sizes) -> dict[str, Any]:
    """N concurrent `join_stream` subscribers on one long `ticker` run.

    Memory: the server's resident memory (its whole process tree) before the joiners and at its
    peak while they are all connected. Latency: emit -> receive over every (subscriber, event)
    pair for the `joiner_ticks` events emitted once everyone is connected; then the run is
    cancelled, which ends every stream."""
    url = target.url
    n = sizes.joiners
    async with _client(url, connections=n + 8) as client:
        thread_id = await _thread(client)
        # Warm up (first run of the graph, one join) so the baseline holds the loaded code.
        warm = await client.post(
            f"/threads/{thread_id}/runs",
            json={
                "assistant_id": "ticker",
                "stream_mode": ["custom"],
                "input": {"n_events": 1, "delay": 0},
            },
        )
        warm.raise_for_status()
        warm_path = f"/threads/{thread_id}/runs/{warm.json()['run_id']}"
        async with client.stream("GET", f"{warm_path}/stream", headers=SSE_HEADERS) as stream:
            await stream.aread()
        await client.get(f"{warm_path}/join")
        await asyncio.sleep(0.5)
        baseline = rss_kb(*target.pids())

        body = {
            "assistant_id": "ticker",
            "stream_mode": ["custom"],
            "input": {"n_events": 10_000, "delay": sizes.joiner_delay},  # cancelled long before
        }
        response = await client.post(f"/threads/{thread_id}/runs", json=body)
        response.raise_for_status()
        run_path = f"/threads/{thread_id}/runs/{response.json()['run_id']}"
        connected = 0
        all_connected = asyncio.Event()
        received: list[list[tuple[float, float]]] = []  # per subscriber: (receive time, emit time)
        failures = 0
        start = time.perf_counter()

        async def subscriber() -> None:
            nonlocal connected, failures
            mine: list[tuple[float, float]] = []
            received.append(mine)
            try:
                async with client.stream(
                    "GET", f"{run_path}/stream", headers=SSE_HEADERS
                ) as stream:
                    stream.raise_for_status()
                    connected += 1
                    if connected == n:
                        all_connected.set()
                    async for frame in frames(stream):
                        if frame.event == "custom":
                            mine.append((frame.received, orjson.loads(frame.data)["t"]))
            except httpx.HTTPError:
                failures += 1

        with RssSampler(*target.pids()) as sampler:
            tasks = [asyncio.create_task(subscriber()) for _ in range(n)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_connected.wait(), timeout=120)
            connect_s = time.perf_counter() - start if all_connected.is_set() else None
            everyone_at = time.time()
            connected_rss = rss_kb(*target.pids())
            await asyncio.sleep(sizes.joiner_ticks * sizes.joiner_delay + 0.2)
            cancel = await client.post(f"{run_path}/cancel", params={"wait": 1})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
        peak = sampler.peak
    lags = [r - t for mine in received for r, t in mine if t >= everyone_at]
    per_event: dict[float, list[float]] = {}
    for mine in received:
        for r, t in mine:
            if t >= everyone_at:
                per_event.setdefault(t, []).append(r)
    complete = sum(
        1 for mine in received if sum(1 for _, t in mine if t >= everyone_at) == len(per_event)
    )
    spreads = [max(rs) - min(rs) for rs in per_event.values()]
    return {
        "joiners": n,
        "connected": connected,
        "failures": failures,
        "cancel_status": cancel.status_code,
        "connect_all_s": connect_s,
        "rss_baseline_mb": baseline / 1024,
        "rss_all_connected_mb": connected_rss / 1024,
        "rss_peak_mb": peak / 1024,
        "kb_per_joiner": (peak - baseline) / n,
        "events_after_all_connected": len(per_event),
        "joiners_with_every_event": complete,
        "fanout_spread_p50_ms": percentile([x * 1000 for x in spreads], 50),
        **summary_ms(lags),
    }


# 8 ---------------------------------------------------------------------------------------

_FINAL = ("success", "error", "timeout", "interrupted")
#: The custom events of `agent`: step_a emits (a, 0..2), step_b (b, 0..2).
_AGENT_EVENTS = {(node, i) for node in "ab" for i in range(3)}


async def killed_worker(target: Target, sizes: Sizes) -> dict[str, Any]:
    """`kill -9` the worker executing a run, on a deployment with two workers.

    An `agent` run (step_a and step_b each emit three custom events `kill_delay` apart, then
    step_c) is followed live with `Last-Event-ID: 0`; as soon as step_b's first event arrives
    (step_a is checkpointed by then) the process executing the run is killed. Measured: time
    from the kill to the next event the follower receives (the run resumed) and to the run's
    `success`; then a full replay (`Last-Event-ID: 0`) is compared with what was seen:
    events lost (seen live before the kill but not replayed, or an event of the graph never
    delivered), ids repeated, events of the completed step emitted again (the run was
    re-executed from the start instead of its last checkpoint), and the events of the step
    that was running re-emitted by the new attempt (inherent: that step runs again)."""
    killer = target.killer()
    if killer is None:
        return {"skipped": target.no_killer}
    with killer:
        return await _kill_and_watch(killer, sizes)


async def _kill_and_watch(killer: Any, sizes: Sizes) -> dict[str, Any]:
    live: list[Frame] = []
    step_b = asyncio.Event()
    async with _client(killer.url) as client:
        thread_id = await _thread(client)
        pinned = killer.pin()
        try:
            body = {
                "assistant_id": "agent",
                "input": {"delay": sizes.kill_delay},
                "stream_mode": ["custom", "updates"],
                "stream_resumable": True,
            }
            response = await client.post(f"/threads/{thread_id}/runs", json=body)
            response.raise_for_status()
            run_id = response.json()["run_id"]
            run_path = f"/threads/{thread_id}/runs/{run_id}"

            async def follow() -> None:
                headers = {**SSE_HEADERS, "Last-Event-ID": "0"}
                async with client.stream("GET", f"{run_path}/stream", headers=headers) as stream:
                    stream.raise_for_status()
                    async for frame in frames(stream):
                        live.append(frame)
                        if frame.event == "custom" and _custom(frame)[0] == "b":
                            step_b.set()

            follower = asyncio.create_task(follow())
            try:
                await asyncio.wait_for(step_b.wait(), timeout=60)
            except TimeoutError:
                follower.cancel()
                return {"error": "step_b never started", "live_events": len(live)}
        finally:
            killer.release()
        pid = killer.executing_pid(run_id)
        if pid is None:
            follower.cancel()
            return {"error": "no executing worker found"}
        lease_left = killer.lease_left(run_id)
        killed_at = time.time()
        killer.kill(pid)
        status = None
        done_at = None
        deadline = time.monotonic() + sizes.kill_wait
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                status = (await client.get(run_path)).json().get("status")
            if status in _FINAL:
                done_at = time.time()
                break
            await asyncio.sleep(0.2)
        follow_error = None
        try:
            await asyncio.wait_for(follower, timeout=10)
        except (TimeoutError, httpx.HTTPError) as exc:
            follow_error = repr(exc)[:200]
        replay: list[Frame] = []

        async def read_replay() -> None:
            headers = {**SSE_HEADERS, "Last-Event-ID": "0"}
            async with client.stream("GET", f"{run_path}/stream", headers=headers) as stream:
                stream.raise_for_status()
                async for frame in frames(stream):
                    replay.append(frame)

        replay_error = None
        try:
            await asyncio.wait_for(read_replay(), timeout=20)
        except (TimeoutError, httpx.HTTPError) as exc:
            replay_error = repr(exc)[:200]
        counter = None
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
            state = (await client.get(f"/threads/{thread_id}/state")).json()
            counter = (state.get("values") or {}).get("counter")

    before = [f for f in live if f.received <= killed_at]
    after = [f for f in live if f.received > killed_at]
    ids = [f.id for f in replay if f.id]
    customs = Counter(_custom(f) for f in replay if f.event == "custom")
    steps = Counter(next(iter(orjson.loads(f.data)), None) for f in replay if f.event == "updates")
    ids_lost = len({f.id for f in before if f.id} - set(ids)) if ids else None
    succeeded = status == "success"
    # Only a run that ended can be missing events for good.
    never_delivered = len(_AGENT_EVENTS - set(customs)) if succeeded else None
    ids_repeated = len(ids) - len(set(ids))
    # step_a ended (and was checkpointed) before the kill: its custom events and its
    # `updates` event come again only if the run was re-executed from the start.
    completed_again = sum(n - 1 for (node, _), n in customs.items() if node == "a")
    completed_again += max(0, steps.get("step_a", 0) - 1)
    return {
        "kill_method": killer.method,
        "lease_seconds": getattr(killer, "lease_seconds", None),
        "lease_left_at_kill_s": lease_left,
        "pinned_pid": pinned,
        "killed_pid": pid,
        "status": status,
        "succeeded": succeeded,
        "waited_s": sizes.kill_wait,
        "resumed_after_s": (after[0].received - killed_at) if after else None,
        "succeeded_after_s": (done_at - killed_at) if done_at and status == "success" else None,
        "live_events_before_kill": len(before),
        "live_events_after_kill": len(after),
        "follow_error": follow_error,
        "replay_events": len(replay),
        "replay_error": replay_error,
        "replay_has_ids": bool(ids),
        "attempts": [orjson.loads(f.data).get("attempt") for f in replay if f.event == "metadata"],
        "steps": dict(steps),
        "final_counter": counter,  # 111 when step_a, step_b and step_c each ran once
        "events_lost": None if never_delivered is None else (ids_lost or 0) + never_delivered,
        "ids_lost": ids_lost,
        "events_never_delivered": never_delivered,
        "ids_repeated": ids_repeated,
        "completed_step_events_repeated": completed_again,
        "events_repeated": ids_repeated + completed_again if succeeded else None,
        "inflight_step_events_reemitted": sum(
            n - 1 for (node, _), n in customs.items() if node == "b"
        ),
    }


def _custom(frame: Frame) -> tuple[Any, Any]:
    try:
        data = orjson.loads(frame.data)
    except orjson.JSONDecodeError:
        return (None, None)
    return (data.get("node"), data.get("i")) if isinstance(data, dict) else (None, None)


SCENARIOS = {
    "sequential_wait": sequential_wait,
    "throughput": throughput,
    "first_event": first_event,
    "firehose": firehose,
    "join_latency": join_latency,
    "resume": resume,
    "many_joiners": many_joiners,
    "killed_worker": killed_worker,
}
