"""The embedded backend: SQLite files under the data directory, one process.

- `tether.sqlite`: assistants, threads, runs (the queue), crons
- `events.sqlite`: the event log (its own file: its heavy appends never lengthen run bookkeeping's)
- `checkpoints.sqlite`: langgraph-checkpoint-sqlite's checkpointer, driven from the event loop
- `store.sqlite`: langgraph's SQLite store (`/store/*` and `runtime.store` in graphs)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from tether.backends import DataFolderInUse
from tether.backends.local import LocalSignals
from tether.backends.sqlite.assistants import SqliteAssistantStore
from tether.backends.sqlite.checkpointer import SqliteCheckpointer
from tether.backends.sqlite.checkpoints import SqliteCheckpoints
from tether.backends.sqlite.crons import SqliteCronStore
from tether.backends.sqlite.database import Database
from tether.backends.sqlite.events import SqliteEventLog
from tether.backends.sqlite.runs import SqliteRunStore
from tether.backends.sqlite.store import open_store
from tether.backends.sqlite.threads import SqliteThreadStore
from tether.backends.sqlite.webhooks import SqliteWebhookOutbox
from tether.ports import Backend
from tether.store_options import StoreOptions


def _lock_folder(folder: Path) -> int:
    """One process per data folder: the event log allocates ids and windows in memory,
    and runs left `running` at start are known to have lost their worker."""
    fd = os.open(folder / "tether.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataFolderInUse(
            f"another tether process is using the data folder {folder.resolve()}: stop it, or"
            " choose another folder with --data-dir (several processes share PostgreSQL)"
        ) from None
    return fd


async def open_sqlite_backend(main_path: Path, store_options: StoreOptions) -> Backend:
    """Open (and migrate) the SQLite files; `main_path` names the main database file."""
    folder = main_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    stack = contextlib.AsyncExitStack()
    try:
        lock = _lock_folder(folder)
        stack.callback(os.close, lock)
        db = Database(main_path)
        await db.open()
        stack.push_async_callback(db.close)
        await db.migrate("tether.backends.sqlite.migrations")

        events_db = Database(folder / "events.sqlite")
        await events_db.open()
        stack.push_async_callback(events_db.close)
        await events_db.migrate("tether.backends.sqlite.event_migrations")
        events = SqliteEventLog(events_db)
        stack.callback(events.close)

        checkpointer = SqliteCheckpointer.open(folder / "checkpoints.sqlite")
        stack.callback(checkpointer.close)

        store = await open_store(folder / "store.sqlite", store_options)
        stack.push_async_callback(store.conn.close)

        signals = LocalSignals()
        stack.push_async_callback(signals.close)
    except BaseException:
        await stack.aclose()
        raise

    async def health() -> None:
        await db.check_writable()
        events_db.check_file()

    return Backend(
        assistants=SqliteAssistantStore(db),
        threads=SqliteThreadStore(db, events),
        runs=SqliteRunStore(db),
        crons=SqliteCronStore(db),
        events=events,
        signals=signals,
        checkpoints=SqliteCheckpoints(checkpointer),
        webhooks=SqliteWebhookOutbox(db),
        checkpointer=checkpointer,
        store=store,
        close=stack.aclose,
        single_process=True,
        health=health,
    )
