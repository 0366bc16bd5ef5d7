"""Requests of the threads resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tether_sdk._core.wire import truthy, with_params
from tether_sdk._schema import QueryParamTypes


def get_query(
    include: Sequence[str] | None, params: QueryParamTypes | None
) -> dict[str, Any] | None:
    query: dict[str, Any] = {"include": ",".join(include)} if include else {}
    return with_params(query, params) or None


def ttl_field(ttl: int | Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``ttl`` body field: a number of minutes means "delete after that long"."""
    if ttl is None:
        return {}
    if isinstance(ttl, int | float):
        return {"ttl": {"ttl": ttl, "strategy": "delete"}}
    return {"ttl": ttl}


def create_body(
    *,
    metadata: Mapping[str, Any] | None,
    thread_id: str | None,
    if_exists: str | None,
    supersteps: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]] | None,
    graph_id: str | None,
    ttl: int | Mapping[str, Any] | None,
) -> dict[str, Any]:
    body = truthy({"thread_id": thread_id})
    if metadata or graph_id:
        body["metadata"] = {**(metadata or {}), **truthy({"graph_id": graph_id})}
    body.update(truthy({"if_exists": if_exists}))
    if supersteps:
        body["supersteps"] = [
            {
                "updates": [
                    {"values": u["values"], "command": u.get("command"), "as_node": u["as_node"]}
                    for u in step["updates"]
                ]
            }
            for step in supersteps
        ]
    body.update(ttl_field(ttl))
    return body


def update_body(metadata: Mapping[str, Any], ttl: int | Mapping[str, Any] | None) -> dict[str, Any]:
    return {"metadata": metadata, **ttl_field(ttl)}


def update_headers(
    headers: Mapping[str, str] | None, return_minimal: bool
) -> dict[str, str] | None:
    merged = dict(headers or {})
    if return_minimal:
        merged["Prefer"] = "return=minimal"
    return merged or None


def search_body(*, limit: int, offset: int, **fields: Any) -> dict[str, Any]:
    return {"limit": limit, "offset": offset, **truthy(fields)}


def prune_body(thread_ids: Sequence[str], strategy: str) -> dict[str, Any]:
    body: dict[str, Any] = {"thread_ids": thread_ids}
    if strategy != "delete":
        body["strategy"] = strategy
    return body


def state_query(
    subgraphs: bool, select: Sequence[str] | None, params: QueryParamTypes | None
) -> dict[str, Any]:
    return with_params({"subgraphs": subgraphs, **truthy({"select": select})}, params)


def state_at_checkpoint_body(
    checkpoint: Mapping[str, Any], subgraphs: bool, select: Sequence[str] | None
) -> dict[str, Any]:
    return {"checkpoint": checkpoint, "subgraphs": subgraphs, **truthy({"select": select})}


def update_state_body(values: Any, **fields: Any) -> dict[str, Any]:
    # values is always sent, even null.
    return {"values": values, **truthy(fields)}


def history_body(limit: int, **fields: Any) -> dict[str, Any]:
    return {"limit": limit, **truthy(fields)}


def join_stream_query(stream_mode: Any, params: QueryParamTypes | None) -> dict[str, Any]:
    return with_params({"stream_mode": stream_mode}, params)


def count_body(**fields: Any) -> dict[str, Any]:
    return truthy(fields)
