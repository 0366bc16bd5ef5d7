"""Assistants and their versions in SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from tether.backends.sqlite.database import Database
from tether.backends.sqlite.queries import from_json, json_filter, to_json, where
from tether.records import now_iso

_SORTABLE = {"assistant_id", "graph_id", "name", "created_at", "updated_at"}


def assistant_from_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "assistant_id": row["assistant_id"],
        "graph_id": row["graph_id"],
        "config": from_json(row["config"]),
        "context": from_json(row["context"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"] if "updated_at" in row.keys() else row["created_at"],  # noqa: SIM118 (sqlite3.Row)
        "metadata": from_json(row["metadata"]),
        "version": row["version"],
        "name": row["name"],
        "description": row["description"],
    }


def _version_row(row: sqlite3.Row) -> dict[str, Any]:
    data = assistant_from_row(row)
    data.pop("updated_at")
    return data


_COLUMNS = "graph_id, version, name, description, config, context, metadata, created_at"


class SqliteAssistantStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_assistant(
        self, assistant: dict[str, Any], *, if_exists: str
    ) -> dict[str, Any] | None:
        def create(conn: sqlite3.Connection) -> dict[str, Any] | None:
            found = conn.execute(
                "SELECT * FROM assistants WHERE assistant_id = ?", (assistant["assistant_id"],)
            ).fetchone()
            if found is not None:
                return assistant_from_row(found) if if_exists == "do_nothing" else None
            values = (
                assistant["assistant_id"],
                assistant["graph_id"],
                1,
                assistant["name"],
                assistant.get("description"),
                to_json(assistant["config"]),
                to_json(assistant["context"]),
                to_json(assistant["metadata"]),
                assistant["created_at"],
            )
            conn.execute(
                f"INSERT INTO assistants (assistant_id, {_COLUMNS}, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, assistant["created_at"]),
            )
            conn.execute(
                f"INSERT INTO assistant_versions (assistant_id, {_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return assistant_from_row(
                conn.execute(
                    "SELECT * FROM assistants WHERE assistant_id = ?", (assistant["assistant_id"],)
                ).fetchone()
            )

        return await self._db.transaction(create)

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        def get(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute(
                "SELECT * FROM assistants WHERE assistant_id = ?", (assistant_id,)
            ).fetchone()
            return None if row is None else assistant_from_row(row)

        return await self._db.run(get)

    async def update_assistant(
        self, assistant_id: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        def update(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute(
                "SELECT * FROM assistants WHERE assistant_id = ?", (assistant_id,)
            ).fetchone()
            if row is None:
                return None
            current = assistant_from_row(row)
            latest = conn.execute(
                "SELECT MAX(version) FROM assistant_versions WHERE assistant_id = ?",
                (assistant_id,),
            ).fetchone()[0]
            merged = {**current, **{k: v for k, v in patch.items() if k != "metadata"}}
            if "metadata" in patch:
                merged["metadata"] = {**current["metadata"], **(patch["metadata"] or {})}
            now = now_iso()
            version = latest + 1
            values = (
                merged["graph_id"],
                version,
                merged["name"],
                merged["description"],
                to_json(merged["config"]),
                to_json(merged["context"]),
                to_json(merged["metadata"]),
            )
            conn.execute(
                f"INSERT INTO assistant_versions (assistant_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (assistant_id, *values, now),
            )
            conn.execute(
                "UPDATE assistants SET graph_id = ?, version = ?, name = ?, description = ?, config = ?,"
                " context = ?, metadata = ?, updated_at = ? WHERE assistant_id = ?",
                (*values, now, assistant_id),
            )
            return assistant_from_row(
                conn.execute(
                    "SELECT * FROM assistants WHERE assistant_id = ?", (assistant_id,)
                ).fetchone()
            )

        return await self._db.transaction(update)

    async def delete_assistant(self, assistant_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "DELETE FROM assistants WHERE assistant_id = ?", (assistant_id,)
                ).rowcount
                > 0
            )

        return await self._db.transaction(delete)

    def _filters(
        self, metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
    ) -> tuple[list[str], list[Any]]:
        clauses, params = json_filter("metadata", metadata)
        if graph_id:
            clauses.append("graph_id = ?")
            params.append(graph_id)
        if name:
            clauses.append("name LIKE ?")
            params.append(f"%{name}%")
        return clauses, params

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
        clauses, params = self._filters(metadata, graph_id, name)
        column = sort_by if sort_by in _SORTABLE else "created_at"
        order = "ASC" if sort_order.lower() == "asc" else "DESC"
        sql = (
            f"SELECT * FROM assistants{where(clauses)} ORDER BY {column} {order}, assistant_id {order}"
            " LIMIT ? OFFSET ?"
        )

        def search(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            return [assistant_from_row(r) for r in conn.execute(sql, (*params, limit, offset))]

        return await self._db.run(search)

    async def count_assistants(
        self, *, metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
    ) -> int:
        clauses, params = self._filters(metadata, graph_id, name)

        def count(conn: sqlite3.Connection) -> int:
            return int(
                conn.execute(f"SELECT COUNT(*) FROM assistants{where(clauses)}", params).fetchone()[
                    0
                ]
            )

        return await self._db.run(count)

    async def assistant_versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        clauses, params = json_filter("metadata", metadata)
        clauses.insert(0, "assistant_id = ?")
        params.insert(0, assistant_id)

        def versions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                f"SELECT * FROM assistant_versions{where(clauses)} ORDER BY version DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
            return [_version_row(r) for r in rows]

        return await self._db.run(versions)

    async def set_latest_version(self, assistant_id: str, version: int) -> dict[str, Any] | None:
        def set_latest(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute(
                "SELECT * FROM assistant_versions WHERE assistant_id = ? AND version = ?",
                (assistant_id, version),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE assistants SET graph_id = ?, version = ?, name = ?, description = ?, config = ?,"
                " context = ?, metadata = ?, updated_at = ? WHERE assistant_id = ?",
                (
                    row["graph_id"],
                    version,
                    row["name"],
                    row["description"],
                    row["config"],
                    row["context"],
                    row["metadata"],
                    now_iso(),
                    assistant_id,
                ),
            )
            return assistant_from_row(
                conn.execute(
                    "SELECT * FROM assistants WHERE assistant_id = ?", (assistant_id,)
                ).fetchone()
            )

        return await self._db.transaction(set_latest)
