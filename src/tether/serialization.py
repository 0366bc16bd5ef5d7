"""JSON encoding of graph values (messages, interrupts, Send, Command, pydantic models)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and not isinstance(obj, type):
        return dump()
    to_json = getattr(obj, "to_json", None)
    if callable(to_json) and hasattr(obj, "lc_serializable"):
        return to_json()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, set | frozenset):
        return list(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    as_dict = getattr(obj, "_asdict", None)
    if callable(as_dict):
        return as_dict()
    # Never fail a stream over one odd value: fall back to its text.
    return repr(obj)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes for any graph value."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def to_jsonable(value: Any) -> Any:
    """A plain JSON-compatible copy of a graph value (dicts, lists, strings, numbers)."""
    return orjson.loads(dumps(value))
