"""PostgreSQL's event log: a batch of events commits without waiting for the disk (it gets
there with the run's next flushed commit), unless `flush_each_event_batch` asks; a run
log's end always waits."""

from __future__ import annotations

from typing import Any

import pytest

from tether.backends import open_backend
from tether.backends.postgres.events import PostgresEventLog
from tether.ids import uuid7
from tether.records import SCOPE_CONTROL, NewEvent


async def _commit_mode(events: PostgresEventLog, pool: Any, *, end: bool) -> str:
    """`synchronous_commit` as a write leaves its transaction (rolled back after)."""
    async with pool.connection() as conn:
        default = await (await conn.execute("SHOW synchronous_commit")).fetchone()
        async with conn.transaction(force_rollback=True):
            marker = NewEvent("end", b"{}", "end", scope=SCOPE_CONTROL)
            written = await events.write_on(
                conn,
                uuid7(),
                uuid7(),
                [NewEvent("custom", b"1", "custom"), *([marker] if end else [])],
                None,
                60.0 if end else None,
            )
            assert len((await written.batch()).events) == (2 if end else 1)
            row = await (
                await conn.execute("SELECT current_setting('synchronous_commit') AS m")
            ).fetchone()
    assert default is not None and default["synchronous_commit"] == "on"  # the server's own
    assert row is not None
    return str(row["m"])


@pytest.mark.parametrize("flush_each", [False, True])
async def test_a_batch_waits_for_the_disk_only_when_asked_and_a_run_s_end_always(
    postgres_database: Any, flush_each: bool
) -> None:
    backend = await open_backend(postgres_database.settings(flush_each_event_batch=flush_each))
    try:
        events = backend.events
        assert isinstance(events, PostgresEventLog)
        pool = backend.checkpointer.conn  # type: ignore[attr-defined]
        assert await _commit_mode(events, pool, end=False) == ("on" if flush_each else "off")
        assert await _commit_mode(events, pool, end=True) == "on"
    finally:
        await backend.close()
