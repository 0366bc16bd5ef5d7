"""JSON responses encoded with orjson (graph values may hold messages and other objects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tether.serialization import dumps


def json_response(
    data: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(data), status_code=status_code, headers=headers, media_type="application/json"
    )


def no_content() -> Response:
    return Response(status_code=204)


def select_fields(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in select} if select else item


def runtime_of(request: Request) -> Any:
    return request.app.state.runtime


def flag(value: str | None, default: bool = False) -> bool:
    """Query booleans as the official server reads them: true/1/yes."""
    if value is None or value == "":
        return default
    return value.strip().lower() in ("true", "1", "yes", "y", "on")
