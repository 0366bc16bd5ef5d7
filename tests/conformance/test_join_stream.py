"""Joining runs: `runs.join`, `runs.join_stream` with and without `last_event_id`, mode subsets."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .support import (
    HUMAN_HI,
    Client,
    collect,
    data_of,
    event_id_key,
    names,
    unknown_id,
    wait_for_status,
)

TICKER = "ticker"


def _ticks(parts: list[Any]) -> list[int]:
    return [p.data["i"] for p in parts if p.event == "custom"]


async def test_join_stream_replays_a_finished_resumable_run(
    client: Client, thread: dict[str, Any]
) -> None:
    original = await collect(
        await client.runs.stream(
            thread["thread_id"],
            "agent",
            input=HUMAN_HI,
            stream_mode=["values", "custom"],
            stream_resumable=True,
        )
    )
    run_id = original[0].data["run_id"]

    for start in ("0", "-1"):
        replay = await collect(
            await client.runs.join_stream(thread["thread_id"], run_id, last_event_id=start)
        )

        assert [(p.event, p.data, p.id) for p in replay] == [
            (p.event, p.data, p.id) for p in original
        ]


async def test_join_stream_of_a_finished_run_without_last_event_id_is_empty(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"], "agent", input=HUMAN_HI, stream_resumable=True
    )
    await client.runs.join(thread["thread_id"], run["run_id"])

    parts = await asyncio.wait_for(
        collect(await client.runs.join_stream(thread["thread_id"], run["run_id"])), 5
    )

    assert parts == []


async def test_join_stream_gets_live_events_from_the_moment_it_joins(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"],
        TICKER,
        input={"n_events": 20, "delay": 0.04},
        stream_mode=["custom", "values"],
    )
    await wait_for_status(client, thread["thread_id"], run["run_id"], {"running"})
    await asyncio.sleep(0.25)

    parts = await collect(await client.runs.join_stream(thread["thread_id"], run["run_id"]))

    ticks = _ticks(parts)
    assert ticks, names(parts)
    assert ticks[0] > 0, "events from before the join are not replayed"
    assert ticks == list(range(ticks[0], 20))
    assert "metadata" not in names(parts)
    assert parts[-1].event == "values"
    assert parts[-1].data["counter"] == 20


async def test_join_stream_resumes_after_last_event_id(
    client: Client, thread: dict[str, Any]
) -> None:
    stream = await client.runs.stream(
        thread["thread_id"],
        TICKER,
        input={"n_events": 15, "delay": 0.03},
        stream_mode=["custom", "values"],
        stream_resumable=True,
    )
    first: list[Any] = []
    async for part in stream:
        first.append(part)
        if len(first) == 5:
            break
    await stream.aclose()
    run_id = first[0].data["run_id"]

    rest = await collect(
        await client.runs.join_stream(thread["thread_id"], run_id, last_event_id=first[-1].id)
    )

    both = first + rest
    assert _ticks(both) == list(range(15)), "no gap and no duplicate"
    keys = [event_id_key(p.id) for p in both]
    assert keys == sorted(set(keys))
    assert both[-1].event == "values"
    assert both[-1].data["counter"] == 15


async def test_join_stream_filters_to_a_subset_of_modes(
    client: Client, thread: dict[str, Any]
) -> None:
    original = await collect(
        await client.runs.stream(
            thread["thread_id"],
            "agent",
            input=HUMAN_HI,
            stream_mode=["custom", "updates"],
            stream_resumable=True,
        )
    )
    run_id = original[0].data["run_id"]

    updates = await collect(
        await client.runs.join_stream(
            thread["thread_id"], run_id, stream_mode="updates", last_event_id="0"
        )
    )
    assert names(updates) == ["updates"] * 3
    assert data_of(updates, "updates") == data_of(original, "updates")

    # Every requested mode counts (the official server honours only the last one: a quirk).
    both = await collect(
        await client.runs.join_stream(
            thread["thread_id"], run_id, stream_mode=["custom", "updates"], last_event_id="0"
        )
    )
    assert [(p.event, p.data) for p in both] == [
        (p.event, p.data) for p in original if p.event != "metadata"
    ]

    absent = await collect(
        await client.runs.join_stream(
            thread["thread_id"], run_id, stream_mode="values", last_event_id="0"
        )
    )
    assert absent == []


async def test_join_stream_of_a_pending_run_gets_everything(
    client: Client, thread: dict[str, Any]
) -> None:
    await client.runs.create(thread["thread_id"], TICKER, input={"n_events": 5, "delay": 0.05})
    queued = await client.runs.create(
        thread["thread_id"], "trivial", input={}, stream_mode=["values", "updates"]
    )

    parts = await collect(await client.runs.join_stream(thread["thread_id"], queued["run_id"]))

    assert parts[0].event == "metadata"
    assert parts[0].data["run_id"] == queued["run_id"]
    assert set(names(parts)) == {"metadata", "values", "updates"}
    assert data_of(parts, "values")[-1]["counter"] == 6


async def test_join_stream_of_unknown_run_reports_not_found(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await asyncio.wait_for(
        collect(await client.runs.join_stream(thread["thread_id"], unknown_id())), 5
    )

    assert names(parts) == ["error"]
    assert "404" in parts[0].data["message"]


async def test_join_stream_cancel_on_disconnect_interrupts_the_run(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"], TICKER, input={"n_events": 100, "delay": 0.03}, stream_mode="custom"
    )
    stream = await client.runs.join_stream(
        thread["thread_id"], run["run_id"], cancel_on_disconnect=True
    )
    seen = 0
    async for _ in stream:
        seen += 1
        if seen == 3:
            break
    await stream.aclose()

    ended = await wait_for_status(
        client, thread["thread_id"], run["run_id"], {"interrupted", "success"}, within=5
    )
    assert ended["status"] == "interrupted"


async def test_join_stream_without_cancel_on_disconnect_lets_the_run_finish(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"], TICKER, input={"n_events": 10, "delay": 0.03}, stream_mode="custom"
    )
    stream = await client.runs.join_stream(thread["thread_id"], run["run_id"])
    async for _ in stream:
        break
    await stream.aclose()

    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert values["counter"] == 10
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"


async def test_join_of_unknown_run_is_not_found(client: Client, thread: dict[str, Any]) -> None:
    # The official server answers 200 {"__error__": ...} after 0.5 s; Tether answers 404 at once
    # (docs/compatibility.md, difference 6). `runs.join` raises httpx's error, untyped (SDK quirk).
    with pytest.raises(httpx.HTTPStatusError) as exc:
        await asyncio.wait_for(client.runs.join(thread["thread_id"], unknown_id()), 5)
    assert exc.value.response.status_code == 404
