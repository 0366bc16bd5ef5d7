"""A graph that reports the request headers its run's config received."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    seen: dict[str, Any]


def report(state: State, config: RunnableConfig) -> State:
    configurable = config.get("configurable") or {}
    names = ("x-user-id", "x-tenant-name", "x-secret", "x-api-key", "authorization", "accept")
    return {"seen": {name: configurable[name] for name in names if name in configurable}}


builder = StateGraph(State)
builder.add_node("report", report)
builder.add_edge(START, "report")
builder.add_edge("report", END)
headers = builder.compile()
