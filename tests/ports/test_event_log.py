"""The EventLog: ids the log allocates, tails with no gap and no duplicate, expiry."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import psycopg
import pytest

from tether.backends import open_backend
from tether.errors import StorageFailed
from tether.ids import EventId, uuid7
from tether.ports import Backend, EventLog, LogBounds
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, StreamEvent


def _events(count: int, start: int = 0, size: int = 16) -> list[NewEvent]:
    return [
        NewEvent("custom", b'{"i":%d,"pad":"%s"}' % (i, b"x" * size), "custom")
        for i in range(start, start + count)
    ]


def _end() -> list[NewEvent]:
    return [
        NewEvent("end", b'{"status":"success"}', "end", scope=SCOPE_CONTROL),
        NewEvent("metadata", b'{"status":"run_done"}', "lifecycle", scope=SCOPE_THREAD),
    ]


async def _collect(
    log: EventLog, run_id: str, after: EventId | None, idle: float = 5.0
) -> list[StreamEvent]:
    seen = []
    tail = log.tail_run(run_id, after, idle=idle)
    async with contextlib.aclosing(tail):
        async for event in tail:
            assert event is not None, "the tail went idle before the run's end"
            seen.append(event)
    return seen


async def test_ids_strictly_increase_across_runs_and_thread_events(backend: Backend) -> None:
    thread_id, run_a, run_b = uuid7(), uuid7(), uuid7()
    log = backend.events
    written = await asyncio.gather(
        *(log.append(thread_id, run_a, _events(3, i * 3)) for i in range(10)),
        *(log.append(thread_id, run_b, _events(2, i * 2)) for i in range(10)),
        *(log.append_thread(thread_id, _events(1, i), retain_seconds=60) for i in range(10)),
    )
    ids = sorted(e.id for batch in written for e in batch)
    assert len(ids) == len(set(ids)) == 10 * 3 + 10 * 2 + 10
    for batch in written:
        assert [e.id for e in batch] == sorted(e.id for e in batch)

    feed = []
    tail = log.tail_thread(thread_id, None, idle=0.05)
    async with contextlib.aclosing(tail):
        async for event in tail:
            if event is None:
                break
            feed.append(event.id)
    assert feed == ids  # the feed shows every event once, in id order


async def test_tail_from_any_cursor_has_no_gap_or_duplicate_while_the_writer_races(
    backend: Backend,
) -> None:
    thread_id, run_id = uuid7(), uuid7()
    log = backend.events
    rng = random.Random(7)
    written: list[StreamEvent] = []
    first_batch = asyncio.Event()

    async def writer() -> None:
        sent = 0
        for _ in range(60):
            size = rng.randint(1, 40)
            written.extend(await log.append(thread_id, run_id, _events(size, sent)))
            sent += size
            first_batch.set()
            if rng.random() < 0.3:
                await asyncio.sleep(0)
        written.extend(await log.end_run(thread_id, run_id, _end(), retain_seconds=60))

    async def reader(delay_batches: int) -> tuple[EventId | None, list[StreamEvent]]:
        await first_batch.wait()
        for _ in range(delay_batches):
            await asyncio.sleep(0)
        cursor = written[rng.randrange(len(written))].id if rng.random() < 0.7 else None
        return cursor, await _collect(log, run_id, cursor)

    results = await asyncio.gather(writer(), *(reader(i) for i in range(12)))
    run_events = [e for e in written if e.scope != SCOPE_THREAD]
    for cursor, seen in results[1:]:  # type: ignore[misc]
        expected = [e.id for e in run_events if cursor is None or e.id > cursor]
        assert [e.id for e in seen] == expected
        assert seen[-1].scope == SCOPE_CONTROL


async def test_a_long_replay_is_paged_and_never_holds_the_loop(backend: Backend) -> None:
    thread_id, run_id = uuid7(), uuid7()
    log = backend.events
    for start in range(0, 6000, 1000):
        await log.append(thread_id, run_id, _events(1000, start, size=200))
    await log.end_run(thread_id, run_id, _end(), retain_seconds=60)

    ticks = 0
    replaying = True

    async def ticker() -> None:
        nonlocal ticks
        while replaying:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    seen = await _collect(log, run_id, None)
    replaying = False
    await task
    assert len(seen) == 6001
    assert [e.data for e in seen[:3]] == [e.data for e in _events(3, size=200)]
    assert ticks >= 5, "the replay did not let other coroutines run"


async def test_an_idle_tail_says_so(backend: Backend) -> None:
    thread_id, run_id = uuid7(), uuid7()
    await backend.events.append(thread_id, run_id, _events(2))
    tail = backend.events.tail_run(run_id, None, idle=0.05)
    async with contextlib.aclosing(tail):
        got = [await anext(tail), await anext(tail), await anext(tail)]
    assert [e is None for e in got] == [False, False, True]


async def test_bounds_follow_the_log_to_its_end_and_expiry(backend: Backend) -> None:
    thread_id, run_id = uuid7(), uuid7()
    log = backend.events
    empty = await log.bounds(run_id)
    assert (empty.first, empty.last, empty.ended, empty.expired) == (None, None, False, False)

    first = await log.append(thread_id, run_id, _events(3))
    live = await log.bounds(run_id)
    assert (live.first, live.last, live.ended) == (first[0].id, first[-1].id, False)

    end = await log.end_run(thread_id, run_id, _end(), retain_seconds=0)
    ended = await log.bounds(run_id)
    assert ended.ended and ended.last == end[0].id  # the end marker, not the thread event
    assert await log.last_thread_id(thread_id) == end[-1].id

    assert await log.purge_expired() >= 1
    gone = await log.bounds(run_id)
    assert gone.expired and gone.last is None
    tail = log.tail_run(run_id, None, idle=0.05)
    async with contextlib.aclosing(tail):
        assert await anext(tail) is None  # nothing left to replay


async def test_expired_thread_events_are_purged(backend: Backend) -> None:
    thread_id = uuid7()
    await backend.events.append_thread(thread_id, _events(2), retain_seconds=0)
    kept = await backend.events.append_thread(thread_id, _events(1), retain_seconds=3600)
    await backend.events.purge_expired()
    assert await backend.events.last_thread_id(thread_id) == kept[-1].id
    feed = []
    tail = backend.events.tail_thread(thread_id, None, idle=0.05)
    async with contextlib.aclosing(tail):
        async for event in tail:
            if event is None:
                break
            feed.append(event.id)
    assert feed == [kept[-1].id]


async def test_deleting_a_thread_deletes_its_logs(backend: Backend) -> None:
    thread_id, run_id = uuid7(), uuid7()
    await backend.events.append(thread_id, run_id, _events(5))
    await backend.events.end_run(thread_id, run_id, _end(), retain_seconds=60)
    await backend.events.delete_thread(thread_id)
    assert (await backend.events.bounds(run_id)).last is None
    assert await backend.events.last_thread_id(thread_id) is None


async def test_a_write_cut_off_in_its_commit_is_reported_and_can_be_repeated_once(
    postgres_database: Any,
) -> None:
    """PostgreSQL: the connection dies as the write commits (here, while a deferred
    trigger holds the commit open). The write raises, the log holds none of it, and repeating
    it stores it exactly once."""
    settings = postgres_database.settings()
    backend = await open_backend(settings)
    try:
        with psycopg.connect(postgres_database.url, autocommit=True) as admin:
            admin.execute(
                "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$"
            )
            admin.execute(
                "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON events"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()"
            )
            thread_id, run_id = uuid7(), uuid7()
            write = asyncio.ensure_future(backend.events.append(thread_id, run_id, _events(3)))

            def committing() -> Any:
                while True:  # the write's connection, sleeping in the trigger at commit
                    row = admin.execute(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                        " AND datname = current_database()"
                    ).fetchone()
                    if row is not None:
                        return row[0]
                    time.sleep(0.02)

            pid = await asyncio.wait_for(asyncio.to_thread(committing), timeout=20)
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            # The lost connection is the storage's fault: StorageFailed, from psycopg's error.
            with pytest.raises(StorageFailed) as failed:
                await write
            assert isinstance(failed.value.__cause__, psycopg.OperationalError)
            admin.execute("DROP TRIGGER slow_commit ON events")
        assert await backend.events.bounds(run_id) == LogBounds(None, None, False, False)
        await backend.events.append(thread_id, run_id, _events(3))
        await backend.events.end_run(thread_id, run_id, _end(), retain_seconds=60)
        seen = await _collect(backend.events, run_id, None)
        assert [e.data for e in seen if e.event == "custom"] == [e.data for e in _events(3)]
    finally:
        await backend.close()


async def test_news_hands_events_to_another_process_and_a_gap_is_read_from_the_log(
    postgres_database: Any,
) -> None:
    """Across processes the news carries the events: a reader takes them as they come,
    and reads the log only where news is missing (lost, or another writer's)."""
    settings = postgres_database.settings(
        poll_seconds=30,  # no polling to hide a missed event
    )
    writer, reader = await open_backend(settings), await open_backend(settings)
    try:
        thread_id, run_id = uuid7(), uuid7()
        reads = 0
        first_read = asyncio.Event()
        query = reader.events._query  # type: ignore[attr-defined]

        async def counted(*args: Any) -> Any:
            nonlocal reads
            reads += 1
            first_read.set()
            return await query(*args)

        reader.events._query = counted  # type: ignore[attr-defined]
        following = asyncio.create_task(_collect(reader.events, run_id, None))
        await asyncio.wait_for(first_read.wait(), 10)
        written: list[StreamEvent] = []
        for i in range(20):
            written += await writer.events.append(thread_id, run_id, _events(2, 2 * i))
        # Stored, but its news lost on the way: the next news does not follow on.
        stored = await writer.events._write(thread_id, run_id, _events(1, 100), None)  # type: ignore[attr-defined]
        written += stored.events
        await writer.events.append_thread(thread_id, _events(1), retain_seconds=60)
        for i in range(5):
            written += await writer.events.append(thread_id, run_id, _events(1, 200 + i))
        written += await writer.events.end_run(thread_id, run_id, _end(), retain_seconds=60)

        seen = await asyncio.wait_for(following, 10)
        assert [e.id for e in seen] == [e.id for e in written if e.scope != SCOPE_THREAD]
        assert [e.data for e in seen] == [e.data for e in written if e.scope != SCOPE_THREAD]
        # The first read, then one where the news went missing, one after the thread's
        # event (announced to thread readers only): never one per append.
        assert reads <= 3
    finally:
        await reader.close()
        await writer.close()


async def test_only_a_process_that_follows_a_log_receives_the_news(
    postgres_database: Any,
) -> None:
    """A process that never reads a log (a `tether worker`) is not sent the news of every
    run; one that does subscribes before its first read and hears what follows at once."""
    import redis.asyncio as redis

    settings = postgres_database.settings(poll_seconds=30)  # no polling to hide lost news
    channel = f"{postgres_database.redis_prefix}:news"
    client = redis.Redis.from_url(postgres_database.redis_url)
    writer, reader = await open_backend(settings), await open_backend(settings)
    try:

        async def listening() -> int:
            return int(dict(await client.pubsub_numsub(channel))[channel.encode()])

        thread_id, run_id = uuid7(), uuid7()
        await writer.events.append(thread_id, run_id, _events(2))
        assert await listening() == 0
        following = asyncio.create_task(_collect(reader.events, run_id, None))
        deadline = time.monotonic() + 10
        while await listening() < 1:
            assert time.monotonic() < deadline, "the reader never subscribed to the news"
            await asyncio.sleep(0.01)
        written = await writer.events.append(thread_id, run_id, _events(3, 2))
        written += await writer.events.end_run(thread_id, run_id, _end(), retain_seconds=60)
        seen = await asyncio.wait_for(following, 10)  # well within the 30 s poll
        assert [e.data for e in seen][-len(written) + 1 :] == [
            e.data for e in written if e.scope != SCOPE_THREAD
        ]
        assert len(seen) == 2 + len(written) - 1
        assert await listening() == 1  # the writer still is not sent any
    finally:
        await client.aclose()
        await reader.close()
        await writer.close()


async def test_events_committed_before_the_news_subscription_reach_the_first_reader_at_once(
    postgres_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first reader does not wait long for Redis to confirm the news
    subscription; events committed before Redis takes it (their news never reaches this
    process) reach that reader at once, not at the next poll: the confirmation makes
    readers look at their logs."""
    from tether.backends.redis import bus

    monkeypatch.setattr(bus, "_NEWS_CONFIRM_WAIT", 0.05)
    settings = postgres_database.settings(poll_seconds=30)
    writer, reader = await open_backend(settings), await open_backend(settings)
    try:
        # The news subscription is held back until the events are committed and announced.
        subscriber = reader.signals._subscriber  # type: ignore[attr-defined]
        held: list[tuple[bytes | str, ...]] = []
        send = subscriber.write

        def holding(*args: bytes | str) -> None:
            if args[0] == "SUBSCRIBE":
                held.append(args)
            else:
                send(*args)

        monkeypatch.setattr(subscriber, "write", holding)
        first_read = asyncio.Event()
        query = reader.events._query  # type: ignore[attr-defined]

        async def noted(*args: Any) -> Any:
            rows = await query(*args)
            first_read.set()
            return rows

        monkeypatch.setattr(reader.events, "_query", noted)
        thread_id, run_id = uuid7(), uuid7()
        following = asyncio.create_task(_collect(reader.events, run_id, None, idle=60))
        await asyncio.wait_for(first_read.wait(), 10)
        assert held, "the reader did not ask for the news before its first read"
        written = await writer.events.append(thread_id, run_id, _events(3))
        written += await writer.events.end_run(thread_id, run_id, _end(), retain_seconds=60)
        assert not following.done()  # its one read came before them, and no news came
        send(*held[0])
        seen = await asyncio.wait_for(following, 10)  # well within the 30 s poll and 60 s idle
        assert [e.id for e in seen] == [e.id for e in written if e.scope != SCOPE_THREAD]
    finally:
        await reader.close()
        await writer.close()


async def test_a_run_log_ended_in_a_transaction_shows_only_once_it_commits(
    backend: Backend,
) -> None:
    thread_id, run_id = uuid7(), uuid7()
    await backend.events.append(thread_id, run_id, _events(2))
    with pytest.raises(RuntimeError):
        async with backend.threads.transaction(thread_id) as tx:
            await tx.end_run_log(run_id, _end(), retain_seconds=60)
            raise RuntimeError("rolled back")
    assert not (await backend.events.bounds(run_id)).ended

    following = asyncio.create_task(_collect(backend.events, run_id, None))
    async with backend.threads.transaction(thread_id) as tx:
        await tx.end_run_log(run_id, _end(), retain_seconds=60)
    seen = await asyncio.wait_for(following, 10)
    assert [e.event for e in seen] == ["custom", "custom", "end"]  # one end marker
    bounds = await backend.events.bounds(run_id)
    assert bounds.ended and bounds.last == seen[-1].id
