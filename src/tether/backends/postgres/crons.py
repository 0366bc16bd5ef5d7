"""Cron jobs in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from tether.backends.postgres.queries import json_filter, json_param, where

_SORTABLE = {
    "cron_id",
    "assistant_id",
    "thread_id",
    "created_at",
    "updated_at",
    "next_run_date",
    "end_time",
}
_JSON_FIELDS = {"payload", "metadata"}
# Dates are ISO text compared byte by byte, as SQLite compares them, whatever the
# database's collation (a linguistic one may weigh `+`, `.` and `:` differently).
_C = 'COLLATE "C"'


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "cron_id": row["cron_id"],
        "assistant_id": row["assistant_id"],
        "thread_id": row["thread_id"],
        "user_id": row["user_id"],
        "end_time": row["end_time"],
        "schedule": row["schedule"],
        "timezone": row["timezone"],
        "payload": row["payload"],
        "next_run_date": row["next_run_date"],
        "metadata": row["metadata"],
        "on_run_completed": row["on_run_completed"],
        "enabled": bool(row["enabled"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _params(cron: dict[str, Any]) -> list[Any]:
    return [
        json_param(v) if k in _JSON_FIELDS else (bool(v) if k == "enabled" else v)
        for k, v in cron.items()
    ]


def _filters(
    assistant_id: str | None,
    thread_id: str | None,
    enabled: bool | None,
    metadata: dict[str, Any] | None,
) -> tuple[list[str], list[Any]]:
    clauses, params = json_filter("metadata", metadata)
    for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if enabled is not None:
        clauses.append("enabled = %s")
        params.append(enabled)
    return clauses, params


class PostgresCronStore:
    """`CronStore` on the `crons` table; `claim_due` is safe across processes."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        # `open_pool`'s connections return dict rows.
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] = pool

    async def create_cron(self, cron: dict[str, Any]) -> dict[str, Any]:
        query = sql.SQL("INSERT INTO crons ({}) VALUES ({}) RETURNING *").format(
            sql.SQL(", ").join(map(sql.Identifier, cron)),
            sql.SQL(", ").join(sql.Placeholder() * len(cron)),
        )
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, _params(cron))
            row = await cur.fetchone()
        assert row is not None  # INSERT ... RETURNING returns the row or raises
        return _row(row)

    async def get_cron(self, cron_id: str) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT * FROM crons WHERE cron_id = %s", (cron_id,))
            row = await cur.fetchone()
        return None if row is None else _row(row)

    async def update_cron(self, cron_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            if changes:
                query = sql.SQL("UPDATE crons SET {} WHERE cron_id = %s RETURNING *").format(
                    sql.SQL(", ").join(
                        sql.SQL("{} = %s").format(sql.Identifier(name)) for name in changes
                    )
                )
                cur = await conn.execute(query, (*_params(changes), cron_id))
            else:
                cur = await conn.execute("SELECT * FROM crons WHERE cron_id = %s", (cron_id,))
            row = await cur.fetchone()
        return None if row is None else _row(row)

    async def delete_cron(self, cron_id: str) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute("DELETE FROM crons WHERE cron_id = %s", (cron_id,))
            return cur.rowcount > 0

    async def search_crons(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[dict[str, Any]]:
        clauses, params = _filters(assistant_id, thread_id, enabled, metadata)
        column = sort_by if sort_by in _SORTABLE else "created_at"
        order = "ASC" if sort_order.lower() == "asc" else "DESC"
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT * FROM crons{where(clauses)}"
                f" ORDER BY {column} {_C} {order}, cron_id {_C} {order} LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            return [_row(r) for r in await cur.fetchall()]

    async def count_crons(
        self, *, assistant_id: str | None, thread_id: str | None, metadata: dict[str, Any] | None
    ) -> int:
        clauses, params = _filters(assistant_id, thread_id, None, metadata)
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT COUNT(*) AS n FROM crons{where(clauses)}", params)
            row = await cur.fetchone()
        return int(row["n"]) if row else 0

    async def claim_due(
        self, now_iso: str, next_run: Callable[[dict[str, Any]], str | None]
    ) -> list[dict[str, Any]]:
        """Crons due at `now_iso`, each moved on to its next run date in the same transaction.

        The due rows stay locked until the move commits; a concurrent claim skips them,
        and one that reaches a row after the commit re-reads it and finds it no longer
        due, so each tick goes to one caller."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT * FROM crons WHERE enabled AND next_run_date IS NOT NULL"
                f" AND next_run_date {_C} <= %s ORDER BY next_run_date {_C}, cron_id"
                " FOR UPDATE SKIP LOCKED",
                (now_iso,),
            )
            due = [_row(r) for r in await cur.fetchall()]
            moves = []
            for cron in due:
                upcoming = next_run(cron)
                moves.append((upcoming, upcoming is not None, cron["cron_id"]))
            if moves:
                async with conn.cursor() as update:
                    await update.executemany(
                        "UPDATE crons SET next_run_date = %s, enabled = %s WHERE cron_id = %s",
                        moves,
                    )
        return due

    async def next_due(self) -> str | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT MIN(next_run_date {_C}) AS due FROM crons WHERE enabled"
            )
            row = await cur.fetchone()
        return None if row is None else row["due"]
