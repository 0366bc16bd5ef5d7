"""Graphs of the differential suite's second project (store index and http options)."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.graph import END, START, StateGraph


class SearchState(TypedDict, total=False):
    query: str
    found: list[dict[str, Any]]


async def search(state: SearchState) -> dict[str, Any]:
    """The store's semantic search from inside a node: keys and scores, best first."""
    items = await get_store().asearch(("shelf",), query=state["query"], limit=3)
    found = [{"key": i.key, "score": None if i.score is None else round(i.score, 3)} for i in items]
    return {"found": found}


class HeaderState(TypedDict, total=False):
    seen: dict[str, Any]


def echo_headers(state: HeaderState, config: RunnableConfig) -> dict[str, Any]:
    """Which of the probe's headers reached the run's `configurable`."""
    configurable = config.get("configurable", {})
    names = ("x-probe-color", "x-probe-secret", "x-other", "x-probe-shadowed", "authorization")
    return {"seen": {name: configurable.get(name, "<missing>") for name in names}}


def _one_node(state: type, name: str, node: Any) -> Any:
    builder = StateGraph(state)
    builder.add_node(name, node)
    builder.add_edge(START, name)
    builder.add_edge(name, END)
    return builder.compile()


searcher = _one_node(SearchState, "search", search)
headers = _one_node(HeaderState, "echo_headers", echo_headers)
