"""Requests and response mapping of the runs resource."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from tether_sdk._core.wire import truthy, with_params, without_none
from tether_sdk._schema import QueryParamTypes, RunCreateMetadata, StreamPart

_CONTENT_LOCATION = re.compile(r"(/threads/(?P<thread_id>.+))?/runs/(?P<run_id>.+)")


def warn_checkpoint_during(checkpoint_during: bool | None) -> None:
    if checkpoint_during is not None:
        warnings.warn(
            "`checkpoint_during` is deprecated and will be removed in a future version. "
            "Use `durability` instead.",
            DeprecationWarning,
            stacklevel=3,
        )


def run_body(
    *,
    command: Mapping[str, Any] | None,
    langsmith_tracing: Mapping[str, Any] | None,
    **fields: Any,
) -> dict[str, Any]:
    """The JSON body of a run: ``None`` fields dropped, ``command`` without its ``None``
    entries, and ``langsmith_tracing`` sent under its wire name ``langsmith_tracer``."""
    return without_none(
        {
            **fields,
            "command": without_none(command) if command else None,
            "langsmith_tracer": langsmith_tracing,
        }
    )


def batch_body(payloads: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [without_none(payload) for payload in payloads]


def run_metadata(response: httpx.Response) -> RunCreateMetadata | None:
    """Run and thread ids from the ``Content-Location`` header of a run response."""
    location = response.headers.get("Content-Location")
    if location and (match := _CONTENT_LOCATION.search(location)):
        return RunCreateMetadata(run_id=match["run_id"], thread_id=match["thread_id"] or None)
    return None


def run_created_hook(
    on_run_created: Callable[[RunCreateMetadata], None] | None,
) -> Callable[[httpx.Response], None] | None:
    """An ``on_response`` callback calling ``on_run_created`` once the run exists."""
    if on_run_created is None:
        return None
    callback = on_run_created

    def on_response(response: httpx.Response) -> None:
        if (metadata := run_metadata(response)) is not None:
            callback(metadata)

    return on_response


def wait_result(result: Any, raise_error: bool) -> Any:
    """The output of ``runs.wait``; raises when the run failed and ``raise_error``."""
    if (
        raise_error
        and isinstance(result, dict)
        and isinstance(error := result.get("__error__"), dict)
    ):
        raise Exception(f"{error.get('error')}: {error.get('message')}")
    return result


def to_v2(part: StreamPart) -> dict[str, Any] | None:
    """A v1 part as a v2 dict (``None`` for ``end``): the event name split into
    ``type`` and namespace ``ns``, interrupts lifted out of ``values``."""
    if part.event == "end":
        return None
    kind, *namespace = part.event.split("|")
    data = part.data
    interrupts: Any = []
    if kind == "values" and isinstance(data, dict):
        data = dict(data)
        interrupts = data.pop("__interrupt__", [])
    return {"type": kind, "ns": namespace, "data": data, "interrupts": interrupts}


def list_query(
    limit: int,
    offset: int,
    status: str | None,
    select: Sequence[str] | None,
    params: QueryParamTypes | None,
) -> dict[str, Any]:
    query: dict[str, Any] = {"limit": limit, "offset": offset}
    if status is not None:
        query["status"] = status
    return with_params({**query, **truthy({"select": select})}, params)


def cancel_query(wait: bool, action: str, params: QueryParamTypes | None) -> dict[str, Any]:
    # `wait` goes out as 1/0, unlike every other boolean.
    return with_params({"wait": 1 if wait else 0, "action": action}, params)


def cancel_many_body(**fields: Any) -> dict[str, Any]:
    return truthy(fields)


def action_query(action: str, params: QueryParamTypes | None) -> dict[str, Any]:
    return with_params({"action": action}, params)


def join_stream_query(
    cancel_on_disconnect: bool, stream_mode: Any, params: QueryParamTypes | None
) -> dict[str, Any]:
    # stream_mode=None is sent as an empty value, like langgraph-sdk does.
    return with_params(
        {"cancel_on_disconnect": cancel_on_disconnect, "stream_mode": stream_mode}, params
    )
