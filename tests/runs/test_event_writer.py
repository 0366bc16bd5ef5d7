"""The worker's event writer: a failed append is repeated, never dropped; when the log
stays unreachable the writer gives up and the run stops instead of emitting into nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tether.backends import open_backend
from tether.ids import uuid7
from tether.ports import EventLog
from tether.records import NewEvent, StreamEvent
from tether.settings import Settings
from tether.worker import event_writer
from tether.worker.event_writer import EventWriter


class _Unreachable(EventLog):
    """The real SQLite log, with its first `failures` appends refused (as a dropped
    connection refuses them: nothing stored)."""

    def __init__(self, log: EventLog, failures: int) -> None:
        self._log = log
        self.failures = failures
        self.calls = 0

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the database went away")
        return await self._log.append(thread_id, run_id, events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


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
        writer = EventWriter(log, thread_id, run_id)
        for start in range(0, 30, 10):
            await writer.put(_events(start, 10))
        await writer.close()
        assert writer.failure is None
        assert log.calls > 3
        assert await _stored(backend.events, run_id) == [e.data for e in _events(0, 30)]
    finally:
        await backend.close()


async def test_a_writer_that_cannot_store_gives_up_and_stops_the_emitter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_writer, "RETRY_SECONDS", 0.2)
    backend = await open_backend(Settings(data_dir=tmp_path))
    try:
        log = _Unreachable(backend.events, failures=1_000_000)
        writer = EventWriter(log, uuid7(), uuid7())
        await writer.put(_events(0, 1))
        with pytest.raises(ConnectionError):
            await writer.close()
        assert isinstance(writer.failure, ConnectionError)
        with pytest.raises(ConnectionError):
            await writer.put(_events(1, 1))  # the graph's next event stops it
    finally:
        await backend.close()
