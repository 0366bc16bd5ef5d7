"""A graph that searches the long-term store by meaning, as a project's agent would."""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore


class State(TypedDict, total=False):
    namespace: list[str]
    query: str
    found: list[dict[str, Any]]


async def recall(state: State, *, store: BaseStore) -> State:
    items = await store.asearch(tuple(state["namespace"]), query=state["query"], limit=10)
    return {"found": [{"key": item.key, "score": item.score} for item in items]}


builder = StateGraph(State)
builder.add_node("recall", recall)
builder.add_edge(START, "recall")
builder.add_edge("recall", END)
memory = builder.compile()
