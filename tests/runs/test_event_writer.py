"""The worker's event writer: a failed append is repeated, never dropped; when the log
stays unreachable the writer gives up and the run stops instead of emitting into nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pytest

from tether.backends import open_backend
from tether.ids import uuid7
from tether.ports import EventLog, LogBounds
from tether.records import NewEvent, StreamEvent
from tether.settings import Settings
from tether.worker import event_writer
from tether.worker.event_writer import EventWriter


class _Unreachable:
    """The real SQLite log, with its first `failures` appends failing as a dropped
    connection makes them fail: refused (nothing stored), or, with `answer_lost`,
    stored but with the answer lost on the way back."""

    def __init__(self, log: EventLog, failures: int, *, answer_lost: bool = False) -> None:
        self._log = log
        self.failures = failures
        self.answer_lost = answer_lost
        self.calls = 0

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            if self.answer_lost:
                await self._log.append(thread_id, run_id, events)
            raise ConnectionError("the database went away")
        return await self._log.append(thread_id, run_id, events)

    async def bounds(self, run_id: str) -> LogBounds:
        return await self._log.bounds(run_id)


def _events(start: int, count: int) -> list[NewEvent]:
    return [NewEvent("custom", b'{"i":%d}' % i, "custom") for i in range(start, start + count)]


async def _stored(log: EventLog, run_id: str) -> list[bytes]:
    seen = []
    tail = log.tail_run(run_id, None, idle=0.05)
    async with contextlib.aclosing(tail):
        async for event in tail:
            if event is None:
                break
            seen.append(event.data)
    return seen


async def test_failed_appends_are_repeated_and_every_event_is_stored_once(
    tmp_path: Path,
) -> None:
    backend = await open_backend(Settings(data_dir=tmp_path))
    try:
        log = _Unreachable(backend.events, failures=3)
        thread_id, run_id = uuid7(), uuid7()
        writer = EventWriter(cast(EventLog, log), thread_id, run_id)
        for start in range(0, 30, 10):
            await writer.put(_events(start, 10))
        await writer.close()
        assert writer.failure is None
        assert log.calls > 3
        assert await _stored(backend.events, run_id) == [e.data for e in _events(0, 30)]
    finally:
        await backend.close()


@pytest.mark.parametrize("earlier_attempt", [False, True])
async def test_a_batch_stored_whose_answer_was_lost_is_not_stored_again(
    tmp_path: Path, earlier_attempt: bool
) -> None:
    backend = await open_backend(Settings(data_dir=tmp_path))
    try:
        thread_id, run_id = uuid7(), uuid7()
        after = None
        if earlier_attempt:  # a retried run: its log holds the first attempt's events
            after = (await backend.events.append(thread_id, run_id, _events(100, 2)))[-1].id
        log = _Unreachable(backend.events, failures=2, answer_lost=True)
        writer = EventWriter(cast(EventLog, log), thread_id, run_id, after=after)
        await writer.put(_events(0, 5))
        await writer.close()
        assert log.calls == 1  # the lost answer was found in the log, not written again
        stored = await _stored(backend.events, run_id)
        assert stored == [e.data for e in _events(100, 2 if earlier_attempt else 0) + _events(0, 5)]
    finally:
        await backend.close()


async def test_a_writer_that_cannot_store_gives_up_and_stops_the_emitter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_writer, "RETRY_SECONDS", 0.2)
    backend = await open_backend(Settings(data_dir=tmp_path))
    try:
        log = _Unreachable(backend.events, failures=1_000_000)
        writer = EventWriter(cast(EventLog, log), uuid7(), uuid7())
        await writer.put(_events(0, 1))
        with pytest.raises(ConnectionError):
            await writer.close()
        assert isinstance(writer.failure, ConnectionError)
        with pytest.raises(ConnectionError):
            await writer.put(_events(1, 1))  # the graph's next event stops it
    finally:
        await backend.close()


class _Held:
    """The real SQLite log, whose appends wait until let through."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self.through = asyncio.Event()
        self.started = asyncio.Event()

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        self.started.set()
        await self.through.wait()
        return await self._log.append(thread_id, run_id, events)

    async def bounds(self, run_id: str) -> LogBounds:
        return await self._log.bounds(run_id)


@pytest.mark.parametrize("later", [10, event_writer.BATCH + 10])
async def test_a_stopped_writer_hands_back_what_it_had_not_stored(
    tmp_path: Path, later: int
) -> None:
    """At a run's end the executor stores the writer's last events with the run's end:
    `stop` waits for the batch on its way, then hands back the rest, in order, at most
    one batch of them (any more are stored first)."""
    backend = await open_backend(Settings(data_dir=tmp_path))
    try:
        log = _Held(backend.events)
        thread_id, run_id = uuid7(), uuid7()
        writer = EventWriter(cast(EventLog, log), thread_id, run_id)
        await writer.put(_events(0, 3))
        await log.started.wait()  # the first batch is on its way
        await writer.put(_events(3, later))
        stopping = asyncio.create_task(writer.stop())
        await asyncio.sleep(0)
        assert not stopping.done()  # it waits for the batch on its way
        log.through.set()
        rest = await stopping
        stored = await _stored(backend.events, run_id)
        assert stored + [e.data for e in rest] == [e.data for e in _events(0, 3 + later)]
        assert stored[:3] == [e.data for e in _events(0, 3)]
        assert 0 < len(rest) <= event_writer.BATCH
        assert len(rest) == (later if later <= event_writer.BATCH else later % event_writer.BATCH)
    finally:
        await backend.close()
