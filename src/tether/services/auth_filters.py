"""Auth filters: what an `@auth.on` handler may return to restrict what a caller sees, and
how it is matched against a record's metadata (a store item's value).

Plain equalities can be handed to a store's own metadata filter (`split_filters`,
`merge_equalities`); the rest is checked in Python (`matches`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tether.errors import TetherError

Filters = dict[str, Any]
#: Filter operators Tether understands (anything else is refused, never ignored).
FILTER_OPERATORS = ("$eq", "$contains")


class UnsupportedFilter(TetherError):
    """A handler returned a filter Tether cannot apply: the project's code is wrong."""

    status_code = 500


def check_filters(filters: Filters) -> Filters:
    """Refuse a filter Tether cannot apply (an unknown operator would otherwise match all)."""
    for key, condition in filters.items():
        if key in ("$or", "$and"):
            if not isinstance(condition, list) or not condition:
                raise UnsupportedFilter(f"Auth filter {key} must be a non-empty list of filters")
            for sub in condition:
                if not isinstance(sub, dict):
                    raise UnsupportedFilter(f"Auth filter {key} must hold filter objects")
                check_filters(sub)
        elif key.startswith("$"):
            raise UnsupportedFilter(f"Unsupported auth filter key {key!r}")
        elif _is_operator(condition):
            for op in condition:
                if op not in FILTER_OPERATORS:
                    raise UnsupportedFilter(
                        f"Unsupported auth filter operator {op!r} on {key!r}"
                        f" (supported: {', '.join(FILTER_OPERATORS)})",
                    )
    return filters


def _is_operator(condition: Any) -> bool:
    return isinstance(condition, dict) and any(str(k).startswith("$") for k in condition)


def matches(filters: Filters | None, metadata: Mapping[str, Any] | None) -> bool:
    """Does `metadata` pass `filters`? `{"k": v}` and `{"k": {"$eq": v}}`: the key exists
    and equals v; `{"k": {"$contains": x}}`: the value is a list holding x (every element
    of x when x is a list); `$or` / `$and` of filters; several keys: all of them.

    Example:
        >>> matches({"owner": "alice", "tags": {"$contains": "red"}},
        ...         {"owner": "alice", "tags": ["red", "blue"]})
        True
    """
    if not filters:
        return True
    data = metadata or {}
    for key, condition in filters.items():
        if key == "$or":
            if not any(matches(sub, data) for sub in condition):
                return False
        elif key == "$and":
            if not all(matches(sub, data) for sub in condition):
                return False
        elif _is_operator(condition):
            for op, operand in condition.items():
                if op == "$eq":
                    if key not in data or data[key] != operand:
                        return False
                elif op == "$contains":
                    held = data.get(key)
                    wanted = operand if isinstance(operand, list) else [operand]
                    if not isinstance(held, list) or not all(w in held for w in wanted):
                        return False
                else:  # refused by check_filters before any use
                    return False
        elif key not in data or data[key] != condition:
            return False
    return True


def split_filters(filters: Filters) -> tuple[Filters, Filters]:
    """(plain equalities a store's metadata filter can apply, the rest)."""
    equal: Filters = {}
    rest: Filters = {}
    for key, condition in filters.items():
        if key.startswith("$"):
            rest[key] = condition
        elif _is_operator(condition):
            if set(condition) == {"$eq"}:
                equal[key] = condition["$eq"]
            else:
                rest[key] = condition
        else:
            equal[key] = condition
    return equal, rest


def merge_equalities(client: Mapping[str, Any] | None, equal: Filters) -> Filters | None:
    """The client's metadata filter AND the auth equalities; None when they contradict."""
    merged = dict(client or {})
    for key, value in equal.items():
        if key in merged and merged[key] != value:
            return None
        merged[key] = value
    return merged
