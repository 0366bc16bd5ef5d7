"""Example graphs bundled with Tether. None needs an LLM or a network.

- agent:    three steps; a and b each emit three custom events and an AI message.
            Input: `delay` (seconds between events), `fail` (step b raises).
- chat:     a fake chat model streaming "Hello there, this is a fake streamed reply." token by token.
- hitl:     human in the loop: node `ask` calls `interrupt()`, then `after` records the answer.
- nested:   an outer node and a subgraph node `child`.
- trivial:  one node adding one to `counter` (for benchmarks).
- firehose: a sync node emitting `n_events` custom events as fast as it can.
- ticker:   emits `n_events` custom events `delay` seconds apart.
- context:  has a dataclass `context_schema` (every field with a default, as the ReAct
            template's) and returns the context it was given in `seen_context`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import operator
import time
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from langgraph.types import interrupt


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    counter: Annotated[int, operator.add]
    delay: float
    fail: bool
    n_events: int
    answer: Any


# -- agent ---------------------------------------------------------------------------------


async def _emit_three(node: str, delay: float) -> None:
    write = get_stream_writer()
    for i in range(3):
        write({"node": node, "i": i})
        if delay:
            await asyncio.sleep(delay)


async def step_a(state: State) -> State:
    await _emit_three("a", state.get("delay", 0) or 0)
    return {"counter": 1, "messages": [AIMessage(content="from a", id="msg-a")]}


async def step_b(state: State) -> State:
    await _emit_three("b", state.get("delay", 0) or 0)
    if state.get("fail"):
        raise ValueError("boom from b")
    return {"counter": 10, "messages": [AIMessage(content="from b", id="msg-b")]}


async def step_c(state: State) -> State:
    return {"counter": 100}


_agent = StateGraph(State)
_agent.add_node(step_a)
_agent.add_node(step_b)
_agent.add_node(step_c)
_agent.add_edge(START, "step_a")
_agent.add_edge("step_a", "step_b")
_agent.add_edge("step_b", "step_c")
_agent.add_edge("step_c", END)
agent = _agent.compile()

# -- chat ----------------------------------------------------------------------------------

REPLY = "Hello there, this is a fake streamed reply."


async def call_model(state: State) -> State:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=REPLY)]))
    reply = await model.ainvoke(state.get("messages", []))
    return {"messages": [reply]}


_chat = StateGraph(State)
_chat.add_node(call_model)
_chat.add_edge(START, "call_model")
_chat.add_edge("call_model", END)
chat = _chat.compile()

# -- hitl ----------------------------------------------------------------------------------


def ask(state: State) -> State:
    answer = interrupt({"question": "approve?", "counter": state.get("counter", 0)})
    return {"answer": answer, "counter": 1}


def after(state: State) -> State:
    return {"counter": 10}


_hitl = StateGraph(State)
_hitl.add_node(ask)
_hitl.add_node(after)
_hitl.add_edge(START, "ask")
_hitl.add_edge("ask", "after")
_hitl.add_edge("after", END)
hitl = _hitl.compile()

# -- nested --------------------------------------------------------------------------------


def child_step(state: State) -> State:
    get_stream_writer()({"from": "child"})
    return {"counter": 5}


_child = StateGraph(State)
_child.add_node(child_step)
_child.add_edge(START, "child_step")
_child.add_edge("child_step", END)


def outer(state: State) -> State:
    return {"counter": 1}


_nested = StateGraph(State)
_nested.add_node(outer)
_nested.add_node("child", _child.compile())
_nested.add_edge(START, "outer")
_nested.add_edge("outer", "child")
_nested.add_edge("child", END)
nested = _nested.compile()

# -- trivial -------------------------------------------------------------------------------


def increment(state: State) -> State:
    return {"counter": 1}


_trivial = StateGraph(State)
_trivial.add_node(increment)
_trivial.add_edge(START, "increment")
_trivial.add_edge("increment", END)
trivial = _trivial.compile()

# -- firehose / ticker ---------------------------------------------------------------------


def blast(state: State) -> State:
    write = get_stream_writer()
    for i in range(state.get("n_events", 1000)):
        write({"i": i, "t": time.time()})
    return {"counter": 1}


_firehose = StateGraph(State)
_firehose.add_node(blast)
_firehose.add_edge(START, "blast")
_firehose.add_edge("blast", END)
firehose = _firehose.compile()


async def tick(state: State) -> State:
    write = get_stream_writer()
    n, delay = state.get("n_events", 10), state.get("delay", 0.1) or 0
    for i in range(n):
        write({"i": i, "t": time.time()})
        if i < n - 1:
            await asyncio.sleep(delay)
    return {"counter": n}


_ticker = StateGraph(State)
_ticker.add_node(tick)
_ticker.add_edge(START, "tick")
_ticker.add_edge("tick", END)
ticker = _ticker.compile()

# -- context -------------------------------------------------------------------------------


@dataclasses.dataclass
class Context:
    model: str = "fake/model"
    system_prompt: str = "You are a helpful assistant."


class ContextState(TypedDict, total=False):
    #: What the node found in `runtime.context`: its type's name and its fields.
    seen_context: dict[str, Any]


def read_context(state: ContextState, runtime: Runtime[Context]) -> ContextState:
    context = runtime.context
    fields = dataclasses.asdict(context) if dataclasses.is_dataclass(context) else context
    return {"seen_context": {"type": type(context).__name__, "fields": fields}}


_context = StateGraph(ContextState, context_schema=Context)
_context.add_node(read_context)
_context.add_edge(START, "read_context")
_context.add_edge("read_context", END)
context = _context.compile()
