"""Encoding of requests and decoding of responses, shared by every resource client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast
from urllib.parse import quote

import orjson

from tether_sdk._schema import QueryParamTypes


class _NotProvided:
    """Marks an argument the caller did not pass (distinct from an explicit ``None``)."""

    def __repr__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED: Any = _NotProvided()


class Call(NamedTuple):
    """A request a resource method makes: path, JSON body, query and per-call headers."""

    path: str
    json: Any = None
    params: QueryParamTypes | None = None
    headers: Mapping[str, str] | None = None


def quote_path_param(value: object) -> str:
    """Percent-encode ``value`` as one path segment (``/`` included, dot segments too).

    Example:
        >>> quote_path_param("a/b")
        'a%2Fb'
        >>> quote_path_param("..")
        '%2E%2E'
    """
    if value is None:
        raise TypeError("path parameter must not be None")
    if isinstance(value, bytes | bytearray):
        raise TypeError("path parameter must not be bytes; pass a str or uuid.UUID")
    quoted = quote(str(value), safe="")
    # httpx would collapse a "." or ".." segment before sending it.
    if quoted and quoted.strip(".") == "":
        quoted = "%2E" * len(quoted)
    return quoted


def path(template: str, *values: object) -> str:
    """Fill ``{}`` placeholders of ``template`` with quoted path parameters."""
    return template.format(*(quote_path_param(value) for value in values))


def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value is not ``None``."""
    return {key: value for key, value in fields.items() if value is not None}


def truthy(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value is truthy (empty strings, lists and dicts are dropped)."""
    return {key: value for key, value in fields.items() if value}


def with_params(query: dict[str, Any], params: QueryParamTypes | None) -> dict[str, Any]:
    """``query`` updated with the caller's ``params`` (the caller's values win)."""
    if params:
        query.update(cast(Any, params))
    return query


def resume_headers(
    last_event_id: str | None, headers: Mapping[str, str] | None
) -> dict[str, str] | None:
    """Per-call headers of a join: ``Last-Event-ID`` when resuming, then the caller's."""
    merged = {"Last-Event-ID": last_event_id} if last_event_id else {}
    merged.update(headers or {})
    return merged or None


def encode_json(value: Any) -> tuple[dict[str, str], bytes | None]:
    """Headers and body for a JSON request; ``({}, None)`` when ``value`` is ``None``."""
    if value is None:
        return {}, None
    body = orjson.dumps(
        value, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    )
    return {"Content-Length": str(len(body)), "Content-Type": "application/json"}, body


def decode_json(content: bytes) -> Any:
    """The JSON value of a response body; ``None`` for an empty (or whitespace) body."""
    if not content or content.isspace():
        return None
    return orjson.loads(content)


def merge_headers(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` updated with ``extra`` (per-call headers win)."""
    merged = dict(base)
    if extra:
        merged.update(extra)
    return merged


def _json_default(value: Any) -> Any:
    # orjson handles datetimes, UUIDs, dataclasses, enums and numpy itself.
    for method in ("model_dump", "dict"):  # pydantic v2, then v1
        if callable(getattr(value, method, None)):
            if isinstance(value, type):
                raise TypeError(
                    f"Cannot JSON-serialize type object: {value!r}. "
                    "Pass an instance of the model, not the class."
                )
            return getattr(value, method)()
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"Object of type {type(value)} is not JSON serializable")
