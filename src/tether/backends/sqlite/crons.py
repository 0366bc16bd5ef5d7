"""Cron jobs in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from tether.backends.sqlite.database import Database
from tether.backends.sqlite.queries import from_json, json_filter, to_json, where

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


def _row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "cron_id": row["cron_id"],
        "assistant_id": row["assistant_id"],
        "thread_id": row["thread_id"],
        "user_id": row["user_id"],
        "end_time": row["end_time"],
        "schedule": row["schedule"],
        "timezone": row["timezone"],
        "payload": from_json(row["payload"]),
        "next_run_date": row["next_run_date"],
        "metadata": from_json(row["metadata"]),
        "on_run_completed": row["on_run_completed"],
        "enabled": bool(row["enabled"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _params(cron: dict[str, Any]) -> list[Any]:
    return [
        to_json(v) if k in _JSON_FIELDS else (int(v) if k == "enabled" else v)
        for k, v in cron.items()
    ]


class SqliteCronStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_cron(self, cron: dict[str, Any]) -> dict[str, Any]:
        columns = ", ".join(cron)

        def create(conn: sqlite3.Connection) -> dict[str, Any]:
            conn.execute(
                f"INSERT INTO crons ({columns}) VALUES ({', '.join('?' * len(cron))})",
                _params(cron),
            )
            return _row(
                conn.execute("SELECT * FROM crons WHERE cron_id = ?", (cron["cron_id"],)).fetchone()
            )

        return await self._db.transaction(create)

    async def get_cron(self, cron_id: str) -> dict[str, Any] | None:
        def get(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute("SELECT * FROM crons WHERE cron_id = ?", (cron_id,)).fetchone()
            return None if row is None else _row(row)

        return await self._db.run(get)

    async def update_cron(self, cron_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        def update(conn: sqlite3.Connection) -> dict[str, Any] | None:
            if changes:
                columns = ", ".join(f"{name} = ?" for name in changes)
                conn.execute(
                    f"UPDATE crons SET {columns} WHERE cron_id = ?", (*_params(changes), cron_id)
                )
            row = conn.execute("SELECT * FROM crons WHERE cron_id = ?", (cron_id,)).fetchone()
            return None if row is None else _row(row)

        return await self._db.transaction(update)

    async def delete_cron(self, cron_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM crons WHERE cron_id = ?", (cron_id,)).rowcount > 0

        return await self._db.transaction(delete)

    def _filters(
        self,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
    ) -> tuple[list[str], list[Any]]:
        clauses, params = json_filter("metadata", metadata)
        for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if enabled is not None:
            clauses.append("enabled = ?")
            params.append(int(enabled))
        return clauses, params

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
        clauses, params = self._filters(assistant_id, thread_id, enabled, metadata)
        column = sort_by if sort_by in _SORTABLE else "created_at"
        order = "ASC" if sort_order.lower() == "asc" else "DESC"
        sql = f"SELECT * FROM crons{where(clauses)} ORDER BY {column} {order}, cron_id {order} LIMIT ? OFFSET ?"

        def search(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            return [_row(r) for r in conn.execute(sql, (*params, limit, offset))]

        return await self._db.run(search)

    async def count_crons(
        self, *, assistant_id: str | None, thread_id: str | None, metadata: dict[str, Any] | None
    ) -> int:
        clauses, params = self._filters(assistant_id, thread_id, None, metadata)

        def count(conn: sqlite3.Connection) -> int:
            return int(
                conn.execute(f"SELECT COUNT(*) FROM crons{where(clauses)}", params).fetchone()[0]
            )

        return await self._db.run(count)

    async def claim_due(
        self, now_iso: str, next_run: Callable[[dict[str, Any]], str | None]
    ) -> list[dict[str, Any]]:
        """Crons due at `now_iso`, each moved on to its next run date in the same transaction."""

        def claim(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            due = [
                _row(r)
                for r in conn.execute(
                    "SELECT * FROM crons WHERE enabled = 1 AND next_run_date IS NOT NULL AND next_run_date <= ?",
                    (now_iso,),
                )
            ]
            for cron in due:
                upcoming = next_run(cron)
                conn.execute(
                    "UPDATE crons SET next_run_date = ?, enabled = ? WHERE cron_id = ?",
                    (upcoming, int(upcoming is not None), cron["cron_id"]),
                )
            return due

        return await self._db.transaction(claim)

    async def next_due(self) -> str | None:
        def next_(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT MIN(next_run_date) FROM crons WHERE enabled = 1").fetchone()
            return None if row is None else row[0]

        return await self._db.run(next_)
