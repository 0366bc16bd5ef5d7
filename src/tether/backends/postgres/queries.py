"""SQL building blocks shared by the PostgreSQL stores: JSON parameters and filters."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Json

from tether.serialization import dumps


def json_param(value: Any) -> Json:
    """A value for a `json` column, encoded as the API encodes it."""
    return Json(value, dumps=lambda v: dumps(v).decode())


def json_filter(column: str, filters: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """WHERE clauses matching rows whose JSON `column` has every key of `filters` with an
    equal JSON value (a key present with `null` matches None).

    Values are compared as the compact JSON text Tether writes (as SQLite's `json()`
    does), on the `json` column itself: a cast to `jsonb` would fail on every row that
    holds a `\u0000` somewhere, and with it the whole search."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in (filters or {}).items():
        clauses.append(f"({column} -> %s)::text = %s")
        params.extend([str(key), dumps(value).decode()])
    return clauses, params


def where(clauses: list[str]) -> str:
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""
