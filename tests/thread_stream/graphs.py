"""A graph for the thread-stream tests that the bundled examples lack: a tool call.

- tools: the model node asks for the `add` tool (a whole AIMessage with a tool call), a
  ToolNode runs it, then a fake chat model streams the answer. No LLM, no network.
- progress: compiled with a stream transformer whose `progress` channel reports each custom
  event the node writes (a client reads it as the `progress` extension).
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.stream import ProtocolEvent, StreamChannel, StreamTransformer


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


class Progress(StreamTransformer):
    """Projects the `{"done": n}` custom events of the root graph onto a `progress` channel."""

    required_stream_modes = ("custom",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._channel: StreamChannel[dict[str, int]] = StreamChannel("progress")

    def init(self) -> dict[str, StreamChannel[dict[str, int]]]:
        return {"progress": self._channel}

    def process(self, event: ProtocolEvent) -> bool:
        data = event["params"]["data"]
        if event["method"] == "custom" and isinstance(data, dict) and "done" in data:
            self._channel.push({"percent": data["done"] * 50})
        return True


def work(state: State) -> State:
    write = get_stream_writer()
    for done in (1, 2):
        write({"done": done})
    return {}


_progress = StateGraph(State)
_progress.add_node(work)
_progress.add_edge(START, "work")
_progress.add_edge("work", END)
progress = _progress.compile(transformers=[Progress])
