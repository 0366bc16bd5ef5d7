"""Assistants and their versions in PostgreSQL."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from tether.backends.postgres.queries import json_filter, json_param, where
from tether.records import now_iso

_SORTABLE = {"assistant_id", "graph_id", "name", "created_at", "updated_at"}
_COLUMNS = "graph_id, version, name, description, config, context, metadata, created_at"
# Text sorts byte by byte, as SQLite's do, whatever the database's collation.
_C = 'COLLATE "C"'


def assistant_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "assistant_id": row["assistant_id"],
        "graph_id": row["graph_id"],
        "config": row["config"],
        "context": row["context"],
        "created_at": row["created_at"],
        "updated_at": row.get("updated_at", row["created_at"]),
        "metadata": row["metadata"],
        "version": row["version"],
        "name": row["name"],
        "description": row["description"],
    }


def _version_row(row: dict[str, Any]) -> dict[str, Any]:
    data = assistant_from_row(row)
    data.pop("updated_at")
    return data


def _filters(
    metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
) -> tuple[list[str], list[Any]]:
    clauses, params = json_filter("metadata", metadata)
    if graph_id:
        clauses.append("graph_id = %s")
        params.append(graph_id)
    if name:
        # A substring, not a LIKE pattern: `%` and `_` in `name` match themselves.
        clauses.append("strpos(lower(name), lower(%s)) > 0")
        params.append(name)
    return clauses, params


class PostgresAssistantStore:
    """`AssistantStore` on the `assistants` and `assistant_versions` tables."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        # `open_pool`'s connections return dict rows.
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] = pool

    async def create_assistant(
        self, assistant: dict[str, Any], *, if_exists: str
    ) -> dict[str, Any] | None:
        values = (
            assistant["assistant_id"],
            assistant["graph_id"],
            1,
            assistant["name"],
            assistant.get("description"),
            json_param(assistant["config"]),
            json_param(assistant["context"]),
            json_param(assistant["metadata"]),
            assistant["created_at"],
        )
        async with self._pool.connection() as conn, conn.transaction():
            # A concurrent insert of the same id waits for the other to commit, then
            # does nothing: the stored one is read below.
            cur = await conn.execute(
                f"INSERT INTO assistants (assistant_id, {_COLUMNS}, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (assistant_id) DO NOTHING RETURNING *",
                (*values, assistant["created_at"]),
            )
            created = await cur.fetchone()
            if created is None:
                if if_exists != "do_nothing":
                    return None
                cur = await conn.execute(
                    "SELECT * FROM assistants WHERE assistant_id = %s",
                    (assistant["assistant_id"],),
                )
                found = await cur.fetchone()
                return None if found is None else assistant_from_row(found)
            await conn.execute(
                f"INSERT INTO assistant_versions (assistant_id, {_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                values,
            )
            return assistant_from_row(created)

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT * FROM assistants WHERE assistant_id = %s", (assistant_id,)
            )
            row = await cur.fetchone()
        return None if row is None else assistant_from_row(row)

    async def update_assistant(
        self, assistant_id: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        async with self._pool.connection() as conn, conn.transaction():
            # The row lock serialises updates of one assistant: each sees the version
            # the previous one wrote, so two updates make n+1 and n+2.
            cur = await conn.execute(
                "SELECT * FROM assistants WHERE assistant_id = %s FOR UPDATE", (assistant_id,)
            )
            row = await cur.fetchone()
            if row is None:
                return None
            current = assistant_from_row(row)
            cur = await conn.execute(
                "SELECT MAX(version) AS latest FROM assistant_versions WHERE assistant_id = %s",
                (assistant_id,),
            )
            latest = await cur.fetchone()
            merged = {**current, **{k: v for k, v in patch.items() if k != "metadata"}}
            if "metadata" in patch:
                merged["metadata"] = {**current["metadata"], **(patch["metadata"] or {})}
            now = now_iso()
            values = (
                merged["graph_id"],
                (latest["latest"] if latest and latest["latest"] is not None else 0) + 1,
                merged["name"],
                merged["description"],
                json_param(merged["config"]),
                json_param(merged["context"]),
                json_param(merged["metadata"]),
            )
            await conn.execute(
                f"INSERT INTO assistant_versions (assistant_id, {_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (assistant_id, *values, now),
            )
            cur = await conn.execute(
                "UPDATE assistants SET graph_id = %s, version = %s, name = %s, description = %s,"
                " config = %s, context = %s, metadata = %s, updated_at = %s"
                " WHERE assistant_id = %s RETURNING *",
                (*values, now, assistant_id),
            )
            updated = await cur.fetchone()
        return None if updated is None else assistant_from_row(updated)

    async def delete_assistant(self, assistant_id: str) -> bool:
        async with self._pool.connection() as conn:
            # Its versions go with it (ON DELETE CASCADE).
            cur = await conn.execute(
                "DELETE FROM assistants WHERE assistant_id = %s", (assistant_id,)
            )
            return cur.rowcount > 0

    async def search_assistants(
        self,
        *,
        metadata: dict[str, Any] | None,
        graph_id: str | None,
        name: str | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[dict[str, Any]]:
        clauses, params = _filters(metadata, graph_id, name)
        column = sort_by if sort_by in _SORTABLE else "created_at"
        order = "ASC" if sort_order.lower() == "asc" else "DESC"
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT * FROM assistants{where(clauses)}"
                f" ORDER BY {column} {_C} {order}, assistant_id {_C} {order} LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            return [assistant_from_row(r) for r in await cur.fetchall()]

    async def count_assistants(
        self, *, metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
    ) -> int:
        clauses, params = _filters(metadata, graph_id, name)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT COUNT(*) AS n FROM assistants{where(clauses)}", params
            )
            row = await cur.fetchone()
        return int(row["n"]) if row else 0

    async def assistant_versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        clauses, params = json_filter("metadata", metadata)
        clauses.insert(0, "assistant_id = %s")
        params.insert(0, assistant_id)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT * FROM assistant_versions{where(clauses)}"
                " ORDER BY version DESC LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            return [_version_row(r) for r in await cur.fetchall()]

    async def set_latest_version(self, assistant_id: str, version: int) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            # One statement: the version's columns are copied as stored, atomically.
            cur = await conn.execute(
                "UPDATE assistants AS a SET graph_id = v.graph_id, version = v.version,"
                " name = v.name, description = v.description, config = v.config,"
                " context = v.context, metadata = v.metadata, updated_at = %s"
                " FROM assistant_versions AS v"
                " WHERE a.assistant_id = %s AND v.assistant_id = a.assistant_id AND v.version = %s"
                " RETURNING a.*",
                (now_iso(), assistant_id, version),
            )
            row = await cur.fetchone()
        return None if row is None else assistant_from_row(row)
