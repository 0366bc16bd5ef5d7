"""Signals between processes, and what a second instance on the same storage may do."""

from __future__ import annotations

import asyncio
import time

import pytest

from tether.ids import uuid7
from tether.ports import Backend
from tether.records import NewEvent

from .conftest import OpenBackend


async def test_work_notice_wakes_a_waiting_worker(backend: Backend) -> None:
    waiter = asyncio.create_task(backend.signals.wait_for_work(30))
    await asyncio.sleep(0)
    started = time.monotonic()
    await backend.signals.notify_work()
    await asyncio.wait_for(waiter, 5)
    assert time.monotonic() - started < 5


async def test_a_notice_sent_before_the_wait_is_not_lost(backend: Backend) -> None:
    await backend.signals.notify_crons()
    await asyncio.wait_for(backend.signals.wait_for_crons(30), 5)


async def test_wait_for_work_returns_after_its_timeout(backend: Backend) -> None:
    started = time.monotonic()
    await backend.signals.wait_for_work(0.05)
    assert time.monotonic() - started >= 0.04


async def test_cancel_notices_reach_every_listener(backend: Backend) -> None:
    heard: list[str] = []
    arrived = asyncio.Event()

    def listener(run_id: str) -> None:
        heard.append(run_id)
        arrived.set()

    backend.signals.on_cancel(listener)
    run_id = uuid7()
    await backend.signals.notify_cancel(run_id)
    await asyncio.wait_for(arrived.wait(), 5)
    assert heard == [run_id]


async def test_a_second_instance_shares_or_refuses_the_storage(
    backend: Backend, open_same: OpenBackend
) -> None:
    if backend.single_process:
        with pytest.raises(RuntimeError, match="another tether process"):
            await open_same()
        return
    other = await open_same()
    thread_id, run_id = uuid7(), uuid7()
    batches = await asyncio.gather(
        *(
            (backend if i % 2 else other).events.append(
                thread_id, run_id, [NewEvent("custom", b"%d" % i, "custom")]
            )
            for i in range(40)
        )
    )
    ids = [batch[0].id for batch in batches]
    assert len(set(ids)) == 40
    seen = []
    tail = other.events.tail_run(run_id, None, idle=0.2)
    async for event in tail:
        if event is None:
            break
        seen.append(event.id)
    assert seen == sorted(ids)
