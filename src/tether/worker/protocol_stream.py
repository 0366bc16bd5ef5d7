"""Runs started through the thread-centric protocol (v3): the graph's events in the
protocol's own shape, logged like every other event.

langgraph's `astream_events(version="v3")` turns a run into protocol events (`values`,
`updates`, `messages` as content blocks, `tools`, `custom`, `tasks`, `checkpoints`, and
subgraph `lifecycle`). Each becomes one log entry: its name is the method followed by the
namespace (`values|child:<task>`, so readers filter without decoding it), its data the
event's `params`, its mode `PROTOCOL_MODE`. What the server itself announces is logged too:
the root `lifecycle` (`running` first, then `completed`, `interrupted` or `failed` with the
run's end) and one `input.requested` per interrupt, in the order the graph raised them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core._api.beta_decorator import LangChainBetaWarning
from langchain_core.language_models._compat_bridge import message_to_events
from langchain_core.messages import BaseMessage, ToolMessage
from langgraph.prebuilt._tool_call_transformer import ToolCallTransformer
from langgraph.stream import (
    CheckpointsTransformer,
    CustomTransformer,
    ProtocolEvent,
    StreamTransformer,
    UpdatesTransformer,
)

from tether.records import NewEvent
from tether.serialization import dumps

#: `RunRecord.kwargs["stream_protocol"]` of a run whose events are protocol events.
PROTOCOL = "v3"
#: The `mode` of every logged protocol event.
PROTOCOL_MODE = "protocol"

#: Channels langgraph streams only when a transformer asks for them (values, messages and
#: subgraph lifecycle are always on).
_TRANSFORMERS = (UpdatesTransformer, CustomTransformer, CheckpointsTransformer, ToolCallTransformer)
# langgraph marks its v3 streaming experimental; the protocol is what we serve.
warnings.filterwarnings("ignore", category=LangChainBetaWarning, message=".*v3 streaming")


def protocol_event(method: str, namespace: Sequence[str], data: Any) -> NewEvent:
    """One log entry for a protocol event of `method` at `namespace`."""
    params = {"namespace": list(namespace), "timestamp": int(time.time() * 1000), "data": data}
    return NewEvent(event_name(method, namespace), dumps(params), PROTOCOL_MODE)


def event_name(method: str, namespace: Sequence[str]) -> str:
    return "|".join((method, *namespace))


def end_events(
    graph_id: str, status: str, error: dict[str, Any] | None, interrupted: bool
) -> list[NewEvent]:
    """The root lifecycle event that closes a run (`status` as the run ends with it)."""
    data: dict[str, Any] = {"graph_name": graph_id}
    if error is not None:
        data.update(event="failed", error=error.get("message") or error.get("error") or "error")
    elif status in ("success", "interrupted") and interrupted:
        data["event"] = "interrupted"
    elif status == "success":
        data["event"] = "completed"
    else:  # cancelled, rolled back or timed out without an error payload
        data.update(event="failed", error=f"Run ended with status {status}")
    return [protocol_event("lifecycle", [], data)]


class ProtocolTranslator:
    """Turns langgraph's protocol events into log entries (stateful per run: interrupts
    are announced once, where they were first seen)."""

    def __init__(self) -> None:
        self._announced: set[str] = set()

    def translate(self, event: dict[str, Any]) -> list[NewEvent]:
        method = event["method"]
        params = event["params"]
        namespace = list(params.get("namespace") or [])
        data = params.get("data")
        if method == "messages":
            return list(self._messages(namespace, data))
        if method == "lifecycle" and isinstance(data, dict):
            # langgraph reports a subgraph's lifecycle at its parent's namespace; the
            # protocol's readers find subgraphs by the event's own namespace. As on the
            # official server, only `started` keeps the namespace in its data too.
            child = data.get("namespace")
            if isinstance(child, list) and child:
                namespace = [str(segment) for segment in child]
                if data.get("event") != "started":
                    data = {k: v for k, v in data.items() if k != "namespace"}
                data.setdefault("graph_name", namespace[-1].partition(":")[0])
            return [protocol_event("lifecycle", namespace, data)]
        if method.startswith("custom:"):
            # A graph's own stream transformer (`StreamChannel("<name>")`): on the wire a
            # `custom` event named after its channel, as the protocol's readers expect.
            method, data = "custom", {"name": method.partition(":")[2], "payload": data}
        if (
            method == "tools"
            and isinstance(data, dict)
            and isinstance(data.get("output"), ToolMessage)
        ):
            data = {**data, "output": data["output"].content}  # the tool's result, not its envelope
        out = [protocol_event(method, namespace, data)]
        if method == "values":
            out.extend(self._interrupts(namespace, params.get("interrupts") or ()))
        return out

    def _messages(self, namespace: list[str], data: Any) -> Iterable[NewEvent]:
        payload = data[0] if isinstance(data, list | tuple) and data else data
        if isinstance(payload, dict) and "event" in payload:
            yield protocol_event("messages", namespace, payload)
        elif isinstance(payload, BaseMessage):  # a message a node returned whole
            for part in message_to_events(payload, message_id=payload.id):
                yield protocol_event("messages", namespace, part)

    def _interrupts(self, namespace: list[str], interrupts: Iterable[Any]) -> Iterable[NewEvent]:
        for interrupt in interrupts:
            interrupt_id = getattr(interrupt, "id", None)
            if interrupt_id is None and isinstance(interrupt, dict):
                interrupt_id = interrupt.get("id")
            if not interrupt_id or interrupt_id in self._announced:
                continue
            self._announced.add(interrupt_id)
            value = getattr(interrupt, "value", None)
            if isinstance(interrupt, dict):
                value = interrupt.get("value")
            yield protocol_event(
                "input.requested",
                namespace,
                {"interrupt_id": interrupt_id, "payload": value, "value": value},
            )


class _TaskEvents(StreamTransformer):
    """Keeps the `tasks` events that langgraph folds into subgraph lifecycle and leaves out
    of its event log; `stream_protocol` logs them in their place (the pump hands over one
    graph event at a time, so those taken before an event came before it)."""

    before_builtins = True
    required_stream_modes = ("tasks",)

    def __init__(self, scope: tuple[str, ...], sink: list[ProtocolEvent]) -> None:
        super().__init__(scope)
        self._sink = sink

    def init(self) -> dict[str, Any]:
        return {}

    def process(self, event: ProtocolEvent) -> bool:
        if event["method"] == "tasks" and not self.scope:  # the root sees every namespace
            self._sink.append(event)
        return True


async def stream_protocol(
    graph: Any, graph_input: Any, config: Any, options: dict[str, Any], writer: Any, graph_id: str
) -> None:
    """Run the graph with protocol streaming, logging each event through `writer`."""
    await writer.put(
        [protocol_event("lifecycle", [], {"event": "running", "graph_name": graph_id})]
    )
    kwargs = {k: v for k, v in options.items() if k not in ("stream_mode", "subgraphs")}
    translator = ProtocolTranslator()
    tasks: list[ProtocolEvent] = []
    transformers = [*_TRANSFORMERS, lambda scope: _TaskEvents(scope, tasks)]
    run = await graph.astream_events(
        graph_input, config, version="v3", transformers=transformers, **kwargs
    )
    async with run:
        async for event in run:
            logged = [e for task in tasks for e in translator.translate(dict(task))]
            tasks.clear()
            await writer.put([*logged, *translator.translate(event)])
        await writer.put([e for task in tasks for e in translator.translate(dict(task))])
