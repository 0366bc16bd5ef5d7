"""A graph for the thread-stream tests that the bundled examples lack: a tool call.

- tools: the model node asks for the `add` tool (a whole AIMessage with a tool call), a
  ToolNode runs it, then a fake chat model streams the answer. No LLM, no network.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]


async def model(state: State) -> State:
    last = state["messages"][-1] if state.get("messages") else None
    if not isinstance(last, ToolMessage):
        call = {"id": "call-add-1", "name": "add", "args": {"a": 2, "b": 3}}
        return {"messages": [AIMessage(content="", id="ask-add", tool_calls=[call])]}
    fake = GenericFakeChatModel(messages=iter([AIMessage(content=f"The sum is {last.content}.")]))
    return {"messages": [await fake.ainvoke(state["messages"])]}


def route(state: State) -> str:
    last = state["messages"][-1]
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else END


_graph = StateGraph(State)
_graph.add_node(model)
_graph.add_node("tools", ToolNode([add]))
_graph.add_edge(START, "model")
_graph.add_conditional_edges("model", route, ["tools", END])
_graph.add_edge("tools", "model")
tools = _graph.compile()
