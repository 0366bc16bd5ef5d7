"""A graph for the A2A resubscription test: it streams a reply token by token, then holds
the run open until the test says so (a file appears), so a client can lose its stream
and resubscribe while the run is still going."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

REPLY = "Hello there, this is a fake streamed reply."


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    #: The file whose appearance lets the run end.
    release: str


async def reply(state: State) -> State:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=REPLY)]))
    return {"messages": [await model.ainvoke(state.get("messages", []))]}


def hold(state: State) -> State:  # sync: langgraph runs it in a worker thread
    release = Path(state["release"])
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {}


_graph = StateGraph(State)
_graph.add_node(reply)
_graph.add_node(hold)
_graph.add_edge(START, "reply")
_graph.add_edge("reply", "hold")
_graph.add_edge("hold", END)
held_reply = _graph.compile()
