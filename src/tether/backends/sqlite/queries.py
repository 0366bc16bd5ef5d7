"""SQL building blocks shared by the SQLite stores: JSON columns and metadata filters."""

from __future__ import annotations

from typing import Any

import orjson

from tether.serialization import dumps


def to_json(value: Any) -> str:
    return dumps(value).decode()


def from_json(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


def json_filter(column: str, filters: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """WHERE clauses matching rows whose JSON `column` has every key/value of `filters`."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in (filters or {}).items():
        path = '$."' + str(key).replace('"', '""') + '"'
        if value is None:
            clauses.append(f"json_type({column}, ?) = 'null'")
            params.append(path)
        elif isinstance(value, bool):
            clauses.append(f"json_type({column}, ?) = ?")
            params.extend([path, "true" if value else "false"])
        elif isinstance(value, int | float):
            # json_extract reads `true` as 1: the type tells a number from a boolean.
            clauses.append(
                f"json_type({column}, ?) IN ('integer', 'real') AND json_extract({column}, ?) = ?"
            )
            params.extend([path, path, value])
        elif isinstance(value, str):
            clauses.append(f"json_extract({column}, ?) = ?")
            params.extend([path, value])
        else:
            clauses.append(f"json_extract({column}, ?) = json(?)")
            params.extend([path, to_json(value)])
    return clauses, params


def where(clauses: list[str]) -> str:
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""
