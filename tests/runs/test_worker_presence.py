"""A worker whose presence mark cannot be taken again (PostgreSQL away): its runs are
stopped once, and it goes on under one new id, however long the database stays away."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest
from ports.support import run, thread

from tether.backends import open_backend
from tether.metrics import Metrics
from tether.records import RunRecord
from tether.services import lifecycle
from tether.worker.executor import RunExecutor, RunHandle, StopReason
from tether.worker.pool import WorkerPool


class _SlowToStop:
    """Executes a run until it is stopped; then winds down only when let (a run stopped
    while the database is away waits for it: its graph's last writes, say)."""

    def __init__(self) -> None:
        self.metrics = Metrics()
        self.started = asyncio.Event()
        self.stopped: list[str | None] = []
        self.wind_down = asyncio.Event()

    async def execute(
        self, run: RunRecord, handle: RunHandle, thread_metadata: dict[str, Any]
    ) -> None:
        self.started.set()
        try:
            await handle.run_graph(asyncio.Event().wait())
        except asyncio.CancelledError:
            self.stopped.append(handle.reason)
            await self.wind_down.wait()


async def test_a_worker_that_cannot_take_its_mark_again_stops_its_runs_once(
    postgres_database: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # absent_for = 1 s: runs are stopped after 0.5 s without the mark, retries every 0.1 s.
    settings = postgres_database.settings(poll_seconds=0.05, lease_seconds=30)
    backend = await open_backend(settings)
    executor = _SlowToStop()
    pool = WorkerPool(backend, cast(RunExecutor, executor), settings)
    lost = asyncio.Event()
    asked_as: list[str] = []
    refused = asyncio.Condition()

    async def hold_presence(worker_id: str) -> asyncio.Event:
        asked_as.append(worker_id)
        if len(asked_as) == 1:
            return lost
        async with refused:
            refused.notify_all()
        raise ConnectionError("the database went away")

    monkeypatch.setattr(backend.runs, "hold_presence", hold_presence)
    try:
        t = thread()
        await backend.threads.create_thread(t, if_exists="raise")
        async with backend.threads.transaction(t.thread_id) as tx:
            await lifecycle.admit(tx, run(t.thread_id), strict_resume=False, create_thread=None)
        await pool.start()
        await asyncio.wait_for(executor.started.wait(), 10)
        first_id = pool.worker_id

        caplog.set_level(logging.WARNING, logger="tether.worker")
        lost.set()  # the mark's connection broke, and the database stays away
        async with refused:
            # Well past the moment the run is stopped: twenty more refused attempts.
            await asyncio.wait_for(refused.wait_for(lambda: len(asked_as) > 20), 20)

        assert executor.stopped == [StopReason.LOST_CLAIM]
        stops = [r for r in caplog.records if "could not take its presence mark" in r.message]
        assert len(stops) == 1
        assert pool.worker_id != first_id
        assert set(asked_as) == {first_id, pool.worker_id}  # one new id, not one per attempt
    finally:
        executor.wind_down.set()
        await pool.stop()
        await backend.close()
