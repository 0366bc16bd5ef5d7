"""The thread-centric protocol (v3): commands on a thread and its filtered event stream.

Events are the protocol events the worker logs for runs started here (see
`tether.worker.protocol_stream`), read from the thread's feed with a cursor: a stream
(SSE, or a WebSocket subscription) replays what it asked for, then follows live, with no
gap and no duplicate. `since` is a `seq` from an earlier event (`thread_protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tether.errors import Conflict, NotFound, TetherError
from tether.ports import EventLog, RunStore
from tether.records import RunRecord
from tether.serialization import dumps, loads
from tether.services.runs import RunService
from tether.services.streams import HEARTBEAT, Heartbeat
from tether.services.thread_protocol import (
    EventFilter,
    ProtocolError,
    cursor_of,
    envelope,
    error_response,
    event_seq,
    parse_command,
    split_event_name,
)
from tether.services.threads import ThreadService, check_thread_id
from tether.worker.protocol_stream import PROTOCOL, PROTOCOL_MODE


@dataclass(frozen=True)
class WireEvent:
    """One event ready to send: its method (the SSE `event:`), `seq` and JSON envelope."""

    method: str
    seq: int
    data: bytes


Send = Callable[[bytes], Awaitable[None]]

_STATUS = {
    "pending": "started",
    "running": "running",
    "success": "completed",
    "error": "failed",
    "timeout": "failed",
    "interrupted": "interrupted",
}


class ThreadStreamService:
    def __init__(
        self,
        *,
        threads: ThreadService,
        runs: RunService,
        run_store: RunStore,
        events: EventLog,
        heartbeat_seconds: float,
    ) -> None:
        self.threads = threads
        self.runs = runs
        self.run_store = run_store
        self.events = events
        self.heartbeat_seconds = heartbeat_seconds

    # -- streams -----------------------------------------------------------------------------

    async def open_stream(self, thread_id: str, body: Any) -> tuple[EventFilter, int | None]:
        """Check an SSE request: the thread must exist (the official server hangs instead)."""
        if not isinstance(body, dict):
            raise ProtocolError("invalid_argument", "The request body must be a JSON object.")
        parsed = EventFilter.parse(body)
        check_thread_id(thread_id)
        await self.threads.get(thread_id)
        return parsed

    async def follow(
        self, thread_id: str, event_filter: EventFilter, since: int | None
    ) -> AsyncIterator[WireEvent | Heartbeat]:
        """The thread's protocol events after `since` that pass the filter, then live ones,
        with heartbeats; ends when the thread is deleted."""
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        existed = False
        tail = self.events.tail_thread(thread_id, cursor_of(since), idle=self.heartbeat_seconds)
        async with contextlib.aclosing(tail):
            async for event in tail:
                if event is not None and event.mode == PROTOCOL_MODE:
                    method, namespace = split_event_name(event.event)
                    if event_filter.matches(method, namespace, event.data):
                        yield WireEvent(
                            method, event_seq(event.id), envelope(event.id, method, event.data)
                        )
                now = time.monotonic()
                if now >= next_heartbeat:
                    next_heartbeat = now + self.heartbeat_seconds
                    found = await self.threads.threads.get_thread(thread_id) is not None
                    if existed and not found:
                        return  # the thread was deleted: its stream is over
                    existed = existed or found
                    yield HEARTBEAT

    # -- commands ----------------------------------------------------------------------------

    async def execute(self, thread_id: str, body: Any, session: Session | None = None) -> bytes:
        """Run one command; the JSON response envelope (success or protocol error)."""
        command_id = body.get("id") if isinstance(body, dict) else None
        try:
            command_id, method, params = parse_command(body)
            check_thread_id(thread_id)
            # Everything the command causes comes after this point of the thread's log.
            applied = await self.events.last_thread_id(thread_id)
            if method in _COMMANDS:
                result = await _COMMANDS[method](self, thread_id, params)
            elif session is not None and method in _SESSION_COMMANDS:
                result = await _SESSION_COMMANDS[method](session, params)
            elif session is None and method in _HTTP_ONLY:
                result = await _HTTP_ONLY[method](self, thread_id, params)
            else:
                raise ProtocolError("unknown_command", f"Unknown protocol command: {method}")
        except ProtocolError as exc:
            return dumps(error_response(command_id, exc.code, exc.message))
        except TetherError as exc:
            code = "invalid_argument" if exc.status_code in (400, 404, 422) else "unknown_error"
            return dumps(error_response(command_id, code, exc.detail))
        return dumps(
            {
                "type": "success",
                "id": command_id,
                "result": result,
                "meta": {"applied_through_seq": event_seq(applied) if applied else 0},
            }
        )

    async def _start_run(
        self, thread_id: str, assistant_id: str, payload: dict[str, Any]
    ) -> RunRecord:
        body = {
            **payload,
            "assistant_id": assistant_id,
            "if_not_exists": "create",
            "stream_protocol": PROTOCOL,
            "stream_subgraphs": True,
        }
        try:
            return await self.runs.create(thread_id, body)
        except Conflict as exc:
            raise ProtocolError("invalid_argument", exc.detail) from exc

    async def _thread_assistant(self, thread_id: str) -> str:
        try:
            thread = await self.threads.get(thread_id)
        except NotFound as exc:
            raise ProtocolError(
                "no_such_run", "No interrupted run is bound to this thread."
            ) from exc
        assistant = thread.metadata.get("assistant_id") or thread.metadata.get("graph_id")
        if not isinstance(assistant, str):
            raise ProtocolError("no_such_run", "No run has been started on this thread.")
        return assistant

    async def run_start(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        assistant_id = params.get("assistant_id")
        if not isinstance(assistant_id, str) or not assistant_id:
            raise ProtocolError("invalid_argument", "run.start requires an assistant_id.")
        payload = {
            "input": params.get("input"),
            "config": params.get("config"),
            "metadata": params.get("metadata"),
            "multitask_strategy": params.get("multitaskStrategy")
            or params.get("multitask_strategy")
            or "enqueue",
        }
        run = await self._start_run(thread_id, assistant_id, payload)
        return {"run_id": run.run_id}

    async def input_respond(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("responses")
        if entries is None:
            entries = [params]
        if not isinstance(entries, list) or not entries:
            raise ProtocolError("invalid_argument", "input.respond requires responses.")
        assistant_id = await self._thread_assistant(thread_id)
        pending = await self._pending_interrupts(thread_id)
        resume: dict[str, Any] = {}
        for entry in entries:
            interrupt_id = entry.get("interrupt_id") if isinstance(entry, dict) else None
            if not isinstance(interrupt_id, str):
                raise ProtocolError("invalid_argument", "input.respond requires an interrupt_id.")
            if interrupt_id not in pending:
                raise ProtocolError(
                    "no_such_interrupt", f"Unknown or already-consumed interrupt: {interrupt_id}"
                )
            resume[interrupt_id] = entry.get("response")
        command: dict[str, Any] = {"resume": resume}
        for key in ("update", "goto"):
            if params.get(key) is not None:
                command[key] = params[key]
        payload = {
            "command": command,
            "config": params.get("config"),
            "metadata": params.get("metadata"),
            "multitask_strategy": "enqueue",
        }
        run = await self._start_run(thread_id, assistant_id, payload)
        return {"run_id": run.run_id}

    async def _pending_interrupts(self, thread_id: str) -> set[str]:
        """Interrupt ids waiting for an answer, from the checkpoint (already there while the
        interrupted run is still finishing)."""
        state = await self.threads.state(thread_id)
        found = {i.get("id") for i in state.get("interrupts") or () if isinstance(i, dict)}
        for task in state.get("tasks") or ():
            found.update(i.get("id") for i in task.get("interrupts") or () if isinstance(i, dict))
        return {i for i in found if isinstance(i, str)}

    async def input_inject(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        message = params.get("message")
        namespace = params.get("namespace") or []
        if (
            not isinstance(message, dict)
            or message.get("role") not in ("user", "system")
            or not isinstance(message.get("content"), str)
        ):
            raise ProtocolError(
                "invalid_argument",
                "input.inject requires a message with a role (user or system) and text content.",
            )
        if namespace:
            raise ProtocolError(
                "not_supported", "input.inject adds messages to the root graph only."
            )
        assistant_id = await self._thread_assistant(thread_id)
        entry = {k: message[k] for k in ("role", "content", "name") if k in message}
        payload = {"input": {"messages": [entry]}, "multitask_strategy": "enqueue"}
        run = await self._start_run(thread_id, assistant_id, payload)
        return {"run_id": run.run_id}

    async def state_get(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        namespace = params.get("namespace") or []
        if not isinstance(namespace, list):
            raise ProtocolError("invalid_argument", "state.get namespace must be a list.")
        state = await self.threads.state(thread_id, subgraphs=bool(namespace))
        for segment in namespace:
            state = _child_state(state, segment)
        values = state.get("values") or {}
        keys = params.get("keys")
        if isinstance(keys, list) and isinstance(values, dict):
            values = {k: v for k, v in values.items() if k in keys}
        result: dict[str, Any] = {"values": values}
        checkpoint = state.get("checkpoint")
        if checkpoint and checkpoint.get("checkpoint_id"):
            result["checkpoint"] = {
                "id": checkpoint["checkpoint_id"],
                "ns": checkpoint.get("checkpoint_ns") or "",
            }
        return result

    async def state_list_checkpoints(
        self, thread_id: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        limit = params.get("limit")
        limit = (
            limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else 10
        )
        before = params.get("before")
        namespace = params.get("namespace") or []
        # One more than asked: a checkpoint's node is the one its parent had next.
        states = await self.threads.history(
            thread_id,
            limit=limit + 1,
            before={"checkpoint_id": before} if isinstance(before, str) else None,
            metadata=None,
            checkpoint={"checkpoint_ns": "|".join(namespace)} if namespace else None,
        )
        checkpoints = []
        for state, parent in zip(states[:limit], [*states[1:], None], strict=False):
            metadata = state.get("metadata") or {}
            summary: dict[str, Any] = {
                "id": state["checkpoint_id"],
                "timestamp": state.get("created_at"),
                "step": metadata.get("step", 0),
                "metadata": metadata,
            }
            ran = (parent or {}).get("next") or []
            if (
                len(ran) == 1
                and parent
                and parent["checkpoint_id"] == state.get("parent_checkpoint_id")
            ):
                summary["node_name"] = ran[0]
            checkpoints.append(summary)
        return {"checkpoints": checkpoints}

    async def state_fork(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        checkpoint_id = params.get("checkpoint_id")
        if not isinstance(checkpoint_id, str) or not checkpoint_id:
            raise ProtocolError("invalid_argument", "state.fork requires a checkpoint_id.")
        assistant_id = await self._thread_assistant(thread_id)
        try:
            found = await self.threads.state(thread_id, checkpoint={"checkpoint_id": checkpoint_id})
        except NotFound:
            found = {}
        if found.get("checkpoint_id") != checkpoint_id or found.get("created_at") is None:
            raise ProtocolError("no_such_checkpoint", f"Unknown checkpoint: {checkpoint_id}")
        payload = {
            "input": params.get("input"),
            "config": params.get("config"),
            "checkpoint_id": checkpoint_id,
            "multitask_strategy": "enqueue",
        }
        run = await self._start_run(thread_id, assistant_id, payload)
        return {"run_id": run.run_id, "thread_id": thread_id}

    async def agent_tree(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        run = await self._tree_run(thread_id, params.get("run_id"))
        root: dict[str, Any] = {
            "namespace": [],
            "status": _STATUS.get(run.status, "running"),
            "graph_name": run.graph_id,
        }
        nodes: dict[tuple[str, ...], dict[str, Any]] = {(): root}
        tail = self.events.tail_run(run.run_id, None, idle=0.05)
        async with contextlib.aclosing(tail):
            async for event in tail:
                if event is None:
                    break  # caught up with a run that is still going
                if event.mode != PROTOCOL_MODE:
                    continue
                method, namespace = split_event_name(event.event)
                if method != "lifecycle":
                    continue
                data = loads(event.data).get("data") or {}
                if not namespace:  # the run itself: running, then how it ended
                    root["status"] = data.get("event") or root["status"]
                    continue
                path = tuple(namespace)
                node = nodes.get(path)
                if node is None:
                    node = {
                        "namespace": namespace,
                        "status": "started",
                        "graph_name": data.get("graph_name") or namespace[-1].partition(":")[0],
                    }
                    nodes[path] = node
                    parent = nodes.get(path[:-1], root)
                    parent.setdefault("children", []).append(node)
                if data.get("event") in _STATUS.values():
                    node["status"] = data["event"]
        return {"tree": root}

    async def _tree_run(self, thread_id: str, run_id: Any) -> RunRecord:
        if isinstance(run_id, str):
            run = await self.run_store.get_run(run_id)
            if run is None or run.thread_id != thread_id:
                raise ProtocolError("no_such_run", f"Unknown run: {run_id}")
            return run
        runs = await self.run_store.list_runs(thread_id, limit=1, offset=0, status=None)
        if not runs:
            raise ProtocolError("no_such_run", "No run has been started on this thread.")
        return runs[0]

    async def http_subscribe(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        EventFilter.parse(params)  # a bad filter is reported as such
        raise ProtocolError(
            "not_supported",
            "Subscriptions live on a WebSocket; over HTTP, open POST "
            f"/threads/{thread_id}/stream/events with this filter instead.",
        )

    async def http_unsubscribe(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ProtocolError(
            "no_such_subscription", f"Unknown subscription: {params.get('subscription_id')}"
        )

    async def http_reconnect(self, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ProtocolError(
            "not_supported",
            "Reconnect by opening the stream again with `since` (the last seq received).",
        )


def _child_state(state: dict[str, Any], segment: Any) -> dict[str, Any]:
    for task in state.get("tasks") or ():
        child = task.get("state")
        if child and segment in (task.get("name"), f"{task.get('name')}:{task.get('id')}"):
            return dict(child)
    raise ProtocolError("no_such_namespace", f"No pending subgraph state at {segment!r}.")


_Handler = Callable[[ThreadStreamService, str, dict[str, Any]], Awaitable[dict[str, Any]]]
#: Commands answered the same way on every transport.
_COMMANDS: dict[str, _Handler] = {
    "run.start": ThreadStreamService.run_start,
    "input.respond": ThreadStreamService.input_respond,
    "input.inject": ThreadStreamService.input_inject,
    "agent.getTree": ThreadStreamService.agent_tree,
    "state.get": ThreadStreamService.state_get,
    "state.listCheckpoints": ThreadStreamService.state_list_checkpoints,
    "state.fork": ThreadStreamService.state_fork,
}
_HTTP_ONLY: dict[str, _Handler] = {
    "subscription.subscribe": ThreadStreamService.http_subscribe,
    "subscription.unsubscribe": ThreadStreamService.http_unsubscribe,
    "subscription.reconnect": ThreadStreamService.http_reconnect,
}


class Session:
    """One WebSocket: commands in, responses and the events of its subscriptions out.

    Each subscription follows the thread with its own cursor and filter; frames from all of
    them go out through `send` one at a time."""

    def __init__(self, service: ThreadStreamService, thread_id: str, send: Send) -> None:
        self.service = service
        self.thread_id = thread_id
        self._send = send
        self._lock = asyncio.Lock()
        self._subscriptions: dict[str, asyncio.Task[None]] = {}

    async def send(self, frame: bytes) -> None:
        async with self._lock:
            await self._send(frame)

    async def handle(self, text: str | bytes) -> None:
        """Answer one incoming frame."""
        try:
            body = loads(text)
        except ValueError:
            await self.send(
                dumps(
                    error_response(
                        None, "invalid_argument", "Protocol commands must be valid JSON."
                    )
                )
            )
            return
        await self.send(await self.service.execute(self.thread_id, body, self))

    async def subscribe(self, params: dict[str, Any]) -> dict[str, Any]:
        event_filter, since = EventFilter.parse(params)
        subscription_id = str(uuid.uuid4())
        ready = asyncio.Event()
        self._subscriptions[subscription_id] = asyncio.create_task(
            self._pump(event_filter, since, ready), name=f"v3-subscription:{subscription_id}"
        )
        # The response goes out first; events follow once it was sent.
        asyncio.get_running_loop().call_soon(ready.set)
        return {"subscription_id": subscription_id}

    async def _pump(
        self, event_filter: EventFilter, since: int | None, ready: asyncio.Event
    ) -> None:
        await ready.wait()
        async for item in self.service.follow(self.thread_id, event_filter, since):
            if isinstance(item, WireEvent):
                await self.send(item.data)

    async def unsubscribe(self, params: dict[str, Any]) -> dict[str, Any]:
        subscription_id = params.get("subscription_id")
        task = (
            self._subscriptions.pop(subscription_id, None)
            if isinstance(subscription_id, str)
            else None
        )
        if task is None:
            raise ProtocolError("no_such_subscription", f"Unknown subscription: {subscription_id}")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {}

    async def reconnect(self, params: dict[str, Any]) -> dict[str, Any]:
        # Subscriptions belong to one socket: a new socket subscribes again with `since`.
        return {"restored": False}

    async def close(self) -> None:
        tasks = list(self._subscriptions.values())
        self._subscriptions.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


_SessionHandler = Callable[[Session, dict[str, Any]], Awaitable[dict[str, Any]]]
_SESSION_COMMANDS: dict[str, _SessionHandler] = {
    "subscription.subscribe": Session.subscribe,
    "subscription.unsubscribe": Session.unsubscribe,
    "subscription.reconnect": Session.reconnect,
}
