"""Rows to records, for every SQL backend: a row is anything indexed by column name
(`sqlite3.Row`, psycopg's dict rows); `json` decodes a JSON column as the driver returns it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tether.records import RunRecord, ThreadRecord

JsonDecoder = Callable[[Any], Any]


class Row(Protocol):
    def __getitem__(self, column: str, /) -> Any: ...


def run_from_row(row: Row, json: JsonDecoder) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        status=row["status"],
        metadata=json(row["metadata"]),
        kwargs=json(row["kwargs"]),
        multitask_strategy=row["multitask_strategy"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempt=row["attempt"],
        available_at=row["available_at"],
        on_completion=row["on_completion"],
        cancel_action=row["cancel_action"],
        cancel_reason=row["cancel_reason"],
        result=json(row["result"]),
        ended_at=row["ended_at"],
        assistant=json(row["assistant"]),
        trace_context=json(row["trace_context"]),
    )


def thread_from_row(row: Row, json: JsonDecoder) -> ThreadRecord:
    return ThreadRecord(
        thread_id=row["thread_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        state_updated_at=row["state_updated_at"],
        metadata=json(row["metadata"]),
        status=row["status"],
        config=json(row["config"]),
        values=json(row["values"]),
        interrupts=json(row["interrupts"]),
        error=json(row["error"]),
        ttl=json(row["ttl"]),
    )


def as_decoded(value: Any) -> Any:
    """For drivers that decode JSON columns themselves."""
    return value


def with_thread_id(config: Any, metadata: Any) -> Any:
    """Checkpoint metadata with the config's thread id: langgraph leaves it out, and the
    official server's history shows it (and history filters use it)."""
    thread_id = (config.get("configurable") or {}).get("thread_id")
    if thread_id is not None and "thread_id" not in metadata:
        return {**metadata, "thread_id": thread_id}
    return metadata
