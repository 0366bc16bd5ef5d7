"""Turning langgraph stream chunks into the official SSE events, mode by mode.

| API mode         | langgraph mode | SSE event name                                   |
|------------------|----------------|--------------------------------------------------|
| values, updates, custom, debug, tasks, checkpoints | same | same                       |
| messages-tuple   | messages       | `messages` with `[message, metadata]`            |
| messages         | messages       | `messages/metadata`, `messages/partial`, `messages/complete` |
| events           | astream_events | `events`                                         |

Subgraph events carry their namespace: `values|child:<task_id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, BaseMessageChunk, message_chunk_to_message

from tether.records import NewEvent
from tether.serialization import dumps
from tether.services.state import checkpoint_of

STREAM_MODES = (
    "values",
    "updates",
    "messages",
    "messages-tuple",
    "custom",
    "debug",
    "events",
    "tasks",
    "checkpoints",
)
_PASS_THROUGH = {"values", "updates", "custom", "debug", "tasks", "checkpoints"}


def _with_checkpoint_objects(chunk: dict[str, Any]) -> dict[str, Any]:
    """Debug checkpoint entries also name their checkpoint and its parent, as the official server's do."""
    payload = dict(chunk.get("payload") or {})
    payload["checkpoint"] = checkpoint_of(payload.get("config"))
    payload["parent_checkpoint"] = checkpoint_of(payload.get("parent_config"))
    return {**chunk, "payload": payload}


def event_name(mode: str, namespace: Sequence[str]) -> str:
    return "|".join((mode, *namespace)) if namespace else mode


class StreamTranslator:
    """Translates the chunks of one run (stateful: legacy messages accumulate per message)."""

    def __init__(self, requested: Sequence[str]) -> None:
        self.requested = set(requested)
        self._seen_messages: set[str] = set()
        self._partials: dict[str, BaseMessageChunk] = {}

    @property
    def wants_events(self) -> bool:
        return "events" in self.requested

    def langgraph_modes(self) -> list[str]:
        modes = [m for m in self.requested if m in _PASS_THROUGH]
        if self.requested & {"messages", "messages-tuple"}:
            modes.append("messages")
        return sorted(modes) or ["values"]

    def translate(self, namespace: Sequence[str], mode: str, chunk: Any) -> list[NewEvent]:
        if mode == "messages":
            return self._messages(namespace, chunk)
        if mode in self.requested:
            if mode == "debug" and isinstance(chunk, dict) and chunk.get("type") == "checkpoint":
                chunk = _with_checkpoint_objects(chunk)
            return [NewEvent(event_name(mode, namespace), dumps(chunk), mode)]
        return []

    def _messages(self, namespace: Sequence[str], chunk: Any) -> list[NewEvent]:
        message, metadata = chunk
        out: list[NewEvent] = []
        if "messages-tuple" in self.requested:
            out.append(
                NewEvent(
                    event_name("messages", namespace), dumps([message, metadata]), "messages-tuple"
                )
            )
        if "messages" not in self.requested or not isinstance(message, BaseMessage):
            return out
        message_id = message.id or ""
        if message_id not in self._seen_messages:
            self._seen_messages.add(message_id)
            out.append(
                NewEvent(
                    event_name("messages/metadata", namespace),
                    dumps({message_id: {"metadata": metadata}}),
                    "messages",
                )
            )
        if isinstance(message, BaseMessageChunk):
            previous = self._partials.get(message_id)
            merged = message if previous is None else previous + message
            self._partials[message_id] = merged
            whole = message_chunk_to_message(merged)
            out.append(
                NewEvent(event_name("messages/partial", namespace), dumps([whole]), "messages")
            )
        else:
            out.append(
                NewEvent(event_name("messages/complete", namespace), dumps([message]), "messages")
            )
        return out

    def astream_event(self, event: dict[str, Any]) -> list[NewEvent]:
        return [NewEvent("events", dumps(event), "events")] if self.wants_events else []
