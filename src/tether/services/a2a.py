"""A2A (agent-to-agent): every assistant is an agent; a message starts a run on a thread.

A context (`contextId`) is a thread and a task (`<contextId>:<run_id>`) is one run on it, as
on the official server. Tasks, messages and events are built here in the A2A v0.3 JSON shape
(`kind`, lower-case states); `a2a_wire.to_v1` turns them into the v1.0 shape for clients
that call the v1.0 method names.

With custom auth, each method applies the caller's rules as its HTTP twin does: the agent
card and every call need an assistant the caller may run (a graph's own assistant, or one
`assistants.read` shows them); a message to a new context is `POST /threads`
(`threads.create`) then a run (`threads.create_run`, the user in the run's config); a task
is read (`tasks/get`, `tasks/resubscribe`, `ListTasks`) under `threads.read` of its
context and cancelled under `threads.update`. A task the caller may not see is answered
exactly as an unknown one.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from tether import __version__
from tether.errors import InvalidInput, NotFound
from tether.ids import EventId, is_uuid
from tether.records import RunRecord, StreamEvent, now_iso
from tether.serialization import loads
from tether.services.assistants import AssistantService
from tether.services.auth import AuthService, Caller
from tether.services.runs import RunService
from tether.services.streams import Heartbeat, StreamService
from tether.services.threads import ThreadService

# JSON-RPC error codes of A2A.
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
TASK_NOT_FOUND = -32001
TASK_NOT_CANCELABLE = -32002
UNSUPPORTED_OPERATION = -32004
EXTENDED_CARD_NOT_CONFIGURED = -32007

HISTORY_SCOPE_EXTENSION = "https://langchain.com/a2a/extensions/history-scope/v1"
MODES = ["application/json", "text/plain"]
#: How long `tasks/cancel` waits for the run to stop before it answers.
_CANCEL_WAIT_SECONDS = 10.0


class A2AError(Exception):
    """A JSON-RPC error answered to the client: `{"code", "message"}`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


#: Run status -> A2A task state.
_STATES = {
    "pending": "submitted",
    "running": "working",
    "success": "completed",
    "error": "failed",
    "timeout": "failed",
    "interrupted": "canceled",
}
TERMINAL = frozenset({"completed", "failed", "canceled", "rejected"})


@dataclass(frozen=True)
class TaskRef:
    context_id: str
    run_id: str

    @property
    def task_id(self) -> str:
        return f"{self.context_id}:{self.run_id}"

    @classmethod
    def parse(cls, task_id: Any) -> TaskRef:
        if not isinstance(task_id, str):
            raise A2AError(INVALID_PARAMS, "Task id must be a string")
        context_id, _, run_id = task_id.partition(":")
        if not (is_uuid(context_id) and is_uuid(run_id)):
            raise A2AError(TASK_NOT_FOUND, f"Task not found: {task_id}")
        return cls(context_id, run_id)


def message_text(message: dict[str, Any]) -> str:
    """The text of a LangChain message dict (string content or text blocks)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block if isinstance(block, str) else str(block.get("text") or "")
            for block in content
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
        )
    return ""


def _is_ai(message: Any) -> bool:
    return isinstance(message, dict) and message.get("type") in ("ai", "AIMessageChunk")


def graph_input(message: dict[str, Any], accepts_messages: bool) -> dict[str, Any]:
    """A run's input from an A2A message (v0.3 shape): text and file parts become one
    human message, data parts are merged into the input as state keys."""
    parts = message.get("parts")
    if not isinstance(parts, list) or not parts:
        raise A2AError(INVALID_PARAMS, "message.parts must be a non-empty list")
    blocks: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for part in parts:
        kind = part.get("kind") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            blocks.append({"type": "text", "text": part["text"]})
        elif kind == "data" and isinstance(part.get("data"), dict):
            data.update(part["data"])
        elif kind == "file" and isinstance(part.get("file"), dict):
            blocks.append(_file_block(part["file"]))
        else:
            raise A2AError(INVALID_PARAMS, f"Unsupported message part: {part!r}")
    if not blocks:
        return data
    if not accepts_messages:
        raise A2AError(
            INVALID_PARAMS,
            "A2A conversational agents using text or file parts must have an input schema"
            " with a 'messages' field.",
        )
    only_text = all(b["type"] == "text" for b in blocks)
    content: Any = "".join(b["text"] for b in blocks) if only_text else blocks
    human: dict[str, Any] = {"role": "user", "content": content}
    if isinstance(message.get("messageId"), str):
        human["id"] = message["messageId"]
    return {**data, "messages": [human]}


def resume_value(message: dict[str, Any]) -> Any:
    """What an answer to an interrupt resumes the graph with: the data of its data parts
    (merged), else its text."""
    parts = [p for p in message.get("parts") or [] if isinstance(p, dict)]
    data: dict[str, Any] = {}
    for part in parts:
        if part.get("kind") == "data" and isinstance(part.get("data"), dict):
            data.update(part["data"])
    if data:
        return data
    text = "".join(str(p.get("text") or "") for p in parts if p.get("kind") == "text")
    if not text:
        raise A2AError(INVALID_PARAMS, "An answer needs a text or a data part")
    return text


def _file_block(file: dict[str, Any]) -> dict[str, Any]:
    mime = file.get("mimeType") or "application/octet-stream"
    kind = next((k for k in ("image", "audio", "video") if mime.startswith(f"{k}/")), "file")
    block: dict[str, Any] = {"type": kind, "mime_type": mime}
    if file.get("uri"):
        block["url"] = file["uri"]
    elif file.get("bytes"):
        block["base64"] = file["bytes"]
    else:
        raise A2AError(INVALID_PARAMS, "A file part needs a uri or bytes")
    if file.get("name"):
        block["filename"] = file["name"]
    return block


def _agent_message(text: str, ref: TaskRef, message_id: str | None = None) -> dict[str, Any]:
    return {
        "kind": "message",
        "role": "agent",
        "parts": [{"kind": "text", "text": text}],
        "messageId": message_id or str(uuid.uuid4()),
        "contextId": ref.context_id,
        "taskId": ref.task_id,
    }


def history_of(values: Any, ref: TaskRef) -> list[dict[str, Any]]:
    """The conversation of a context (its thread's messages) as A2A messages."""
    messages = values.get("messages") if isinstance(values, dict) else None
    history = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict) or message.get("type") not in ("human", "ai"):
            continue
        history.append(
            {
                "kind": "message",
                "role": "user" if message["type"] == "human" else "agent",
                "parts": [{"kind": "text", "text": message_text(message)}],
                "messageId": message.get("id") or str(uuid.uuid4()),
                "contextId": ref.context_id,
                "taskId": ref.task_id,
            }
        )
    return history


class A2AService:
    """A2A for one caller (`caller` None: no custom auth)."""

    def __init__(
        self,
        *,
        assistants: AssistantService,
        threads: ThreadService,
        runs: RunService,
        streams: StreamService,
        timeout_seconds: float,
        auth: AuthService,
        caller: Caller | None,
    ) -> None:
        self.assistants = assistants
        self.threads = threads
        self.runs = runs
        self.streams = streams
        self.timeout_seconds = timeout_seconds
        self.auth = auth
        self.caller = caller

    async def assistant(self, assistant_id: str) -> dict[str, Any]:
        """The agent's assistant, by id or graph name (the official server takes ids only).
        One the caller may not run is answered as an unknown one."""
        unknown = A2AError(INVALID_PARAMS, f"Assistant {assistant_id} not found")
        try:
            assistant = await self.assistants.resolve(assistant_id)
            await self.auth.check_run_assistant(
                self.caller, assistant["assistant_id"], unknown.message
            )
        except InvalidInput as exc:
            raise A2AError(INVALID_PARAMS, "Invalid assistant ID: must be a UUID") from exc
        except NotFound as exc:
            raise unknown from exc
        return assistant

    async def _input_keys(self, assistant_id: str) -> list[str]:
        schema = (await self.assistants.schemas(assistant_id)).get("input_schema")
        properties = schema.get("properties") if isinstance(schema, dict) else None
        return sorted(properties) if isinstance(properties, dict) else []

    async def card(self, assistant_id: str, base_url: str) -> dict[str, Any]:
        """The agent card of an assistant; `base_url` is where this server is reached."""
        assistant = await self.assistant(assistant_id)
        aid = assistant["assistant_id"]
        keys = await self._input_keys(aid)
        url = f"{base_url.rstrip('/')}/a2a/{aid}"
        name = assistant.get("name") or assistant["graph_id"]
        description = assistant.get("description") or f"{name} assistant"
        return {
            "name": name,
            "description": description,
            "url": url,
            "supportedInterfaces": [
                {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
            ],
            "version": __version__,
            "capabilities": {
                "streaming": True,
                "pushNotifications": False,
                "stateTransitionHistory": False,
            },
            "defaultInputModes": MODES,
            "defaultOutputModes": MODES,
            "skills": [
                {
                    "id": f"{aid}-main",
                    "name": f"{name} Capabilities",
                    "description": description,
                    "tags": ["assistant", "langgraph"],
                    "examples": [],
                    "inputModes": MODES,
                    "outputModes": MODES,
                    "metadata": {
                        "inputSchema": {
                            "required": [],
                            "properties": keys,
                            "supportsA2A": "messages" in keys,
                        }
                    },
                }
            ],
        }

    async def _start(
        self, assistant_id: str, params: dict[str, Any]
    ) -> tuple[TaskRef, RunRecord, dict[str, Any]]:
        """Admit the run a `message/send` or `message/stream` asks for."""
        assistant = await self.assistant(assistant_id)
        message = params.get("message")
        if not isinstance(message, dict):
            raise A2AError(INVALID_PARAMS, "params.message is required")
        if message.get("role") not in ("user", None):
            raise A2AError(INVALID_PARAMS, "message.role must be 'user'")
        payload: dict[str, Any] = {
            "assistant_id": assistant["assistant_id"],
            "if_not_exists": "create",
            "stream_mode": ["values", "messages-tuple"],
            "metadata": {"a2a_message_id": message.get("messageId")},
        }
        if message.get("taskId"):
            # An answer to a task waiting for input: resume its thread with it.
            context_id = await self._check_task_continuation(message["taskId"])
            if message.get("contextId") not in (None, "", context_id):
                raise A2AError(INVALID_PARAMS, "message.contextId is not the task's context")
            payload["command"] = {"resume": resume_value(message)}
        else:
            context_id = message.get("contextId") or str(uuid.uuid4())
            if not is_uuid(context_id):
                raise A2AError(INVALID_PARAMS, "message.contextId must be a UUID")
            keys = await self._input_keys(assistant["assistant_id"])
            payload["input"] = graph_input(message, accepts_messages="messages" in keys)
        try:
            thread_metadata = await self._authorize_run(context_id, payload)
            run = await self.runs.create(context_id, payload, thread_metadata=thread_metadata)
        except (InvalidInput, NotFound) as exc:
            raise A2AError(INVALID_PARAMS, exc.detail) from exc
        user = {
            "kind": "message",
            "role": "user",
            "parts": message.get("parts"),
            "messageId": message.get("messageId") or str(uuid.uuid4()),
            "contextId": context_id,
            "taskId": f"{context_id}:{run.run_id}",
        }
        return TaskRef(context_id, run.run_id), run, user

    async def _authorize_run(
        self, context_id: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """With custom auth: what `POST /threads` (for a context that does not exist yet)
        then a run on it would be allowed; the metadata a new context's thread gets."""
        if self.caller is None:
            return None
        created: dict[str, Any] | None = None
        try:
            await self.threads.get(context_id)
            new = False
        except NotFound:
            new = True
        if new:
            value: dict[str, Any] = {
                "thread_id": uuid.UUID(context_id),
                "metadata": {},
                "if_exists": "raise",
            }
            await self.auth.authorize(self.caller, "threads", "create", value)
            created = dict(value.get("metadata") or {})
        owner = await self.auth.check_run_create(self.caller, context_id, payload)
        if created is None:
            return owner
        return {**(owner or {}), **created}

    async def _check_task_continuation(self, task_id: Any) -> str:
        """The context of a task that waits for input; any other task cannot take a message."""
        task = await self.get_task(task_id)
        state = task["status"]["state"]
        if state in TERMINAL:
            raise A2AError(
                UNSUPPORTED_OPERATION,
                f"Task {task_id} is in a terminal state: send the contextId alone to start a new task",
            )
        if state != "input-required":
            raise A2AError(
                UNSUPPORTED_OPERATION, f"Task {task_id} is not waiting for input (it is {state})"
            )
        return str(task["contextId"])

    async def send(self, assistant_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """`message/send`: run to the end (as `/runs/wait`) and answer the task."""
        ref, run, _ = await self._start(assistant_id, params)
        await self.runs.outcome(run, timeout=self.timeout_seconds, fresh=True)
        return await self._task(ref, history_length=_history_length(params.get("configuration")))

    async def stream(
        self, assistant_id: str, params: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any] | None]:
        """`message/stream`: the task, `working` updates with the reply's text so far as
        tokens arrive, the reply as an artifact, then the final status; None while nothing
        happens for a heartbeat period."""
        ref, run, user = await self._start(assistant_id, params)
        submitted = {
            "kind": "task",
            "id": ref.task_id,
            "contextId": ref.context_id,
            "status": {"state": "submitted", "timestamp": now_iso()},
            "history": [user],
        }
        return self._follow(ref, run, submitted)

    async def resubscribe(self, params: dict[str, Any]) -> AsyncIterator[dict[str, Any] | None]:
        """`tasks/resubscribe` (v1.0 `SubscribeToTask`): the task as it is now, then its
        stream as `message/stream` goes on (the reply's text so far first). A task in a
        terminal state has nothing more to send: -32004, as the a2a-sdk server answers."""
        ref = TaskRef.parse(params.get("id"))
        run = await self._run(ref)
        caught_up_at, _ = await self.streams.join_cursor(run.run_id, None)
        task = await self._task(ref, history_length=params.get("historyLength"))
        state = task["status"]["state"]
        if state in TERMINAL:
            raise A2AError(
                UNSUPPORTED_OPERATION, f"Task {ref.task_id} is in a terminal state: {state}"
            )
        if run.done:  # waiting for input: this run has nothing more to say
            return self._snapshot(ref, task)
        return self._follow(ref, run, task, caught_up_at)

    async def _snapshot(
        self, ref: TaskRef, task: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any] | None]:
        yield task
        yield self._status_update(ref, task["status"]["state"], task["status"].get("message"), True)

    async def _follow(
        self,
        ref: TaskRef,
        run: RunRecord,
        first: dict[str, Any],
        caught_up_at: EventId | None = None,
    ) -> AsyncIterator[dict[str, Any] | None]:
        """`first` (the task), a `working` update each time the reply's text grows, the
        artifact, the final status. The run's log is read from its start; with
        `caught_up_at` (a resubscription), the text up to that event is sent as one update
        per message once it is reached, not replayed token by token."""
        yield first
        texts: dict[str, str] = {}
        behind: dict[str, str] = {}  # texts reached before `caught_up_at`, not sent yet
        events = self.streams.follow_run(run.run_id, None)
        async with contextlib.aclosing(events):  # type: ignore[type-var]
            async for item in events:
                if isinstance(item, Heartbeat):
                    yield None  # nothing new: the connection is kept alive
                    continue
                if not isinstance(item, StreamEvent):
                    continue
                grown = (
                    _grown_text(texts, loads(item.data)[0])
                    if item.mode == "messages-tuple"
                    else None
                )
                if caught_up_at is not None and item.id <= caught_up_at:
                    if grown is not None:
                        behind[grown[0]] = grown[1]
                    if item.id != caught_up_at:
                        continue
                elif grown is not None:
                    behind[grown[0]] = grown[1]
                for text in behind.values():
                    yield self._status_update(
                        ref, "working", _agent_message(text, ref), final=False
                    )
                behind.clear()
        for text in behind.values():  # the log ended before `caught_up_at` was reached
            yield self._status_update(ref, "working", _agent_message(text, ref), final=False)
        task = await self._task(ref)
        for artifact in task.get("artifacts", []):
            yield {
                "kind": "artifact-update",
                "taskId": ref.task_id,
                "contextId": ref.context_id,
                "artifact": artifact,
                "append": False,
                "lastChunk": True,
            }
        yield self._status_update(ref, task["status"]["state"], task["status"].get("message"), True)

    @staticmethod
    def _status_update(
        ref: TaskRef, state: str, message: dict[str, Any] | None, final: bool
    ) -> dict[str, Any]:
        status: dict[str, Any] = {"state": state, "timestamp": now_iso()}
        if message is not None:
            status["message"] = message
        return {
            "kind": "status-update",
            "taskId": ref.task_id,
            "contextId": ref.context_id,
            "status": status,
            "final": final,
        }

    async def get_task(self, task_id: Any, history_length: Any = None) -> dict[str, Any]:
        """`tasks/get`."""
        return await self._task(TaskRef.parse(task_id), history_length=history_length)

    async def _run(
        self, ref: TaskRef, action: str = "read", value: dict[str, Any] | None = None
    ) -> RunRecord:
        """The task's run, if the caller may `action` its context (a thread; `value` is
        what the handler is told besides the thread id); an unknown task, and one the
        caller's rules hide, are both -32001."""
        missing = A2AError(TASK_NOT_FOUND, f"Task not found: {ref.task_id}")
        run = await self.runs.find(ref.run_id)
        if run is None or run.thread_id != ref.context_id:
            raise missing
        try:
            await self.auth.check_thread(self.caller, ref.context_id, action, value)
        except NotFound as exc:
            raise missing from exc
        return run

    async def _task(self, ref: TaskRef, history_length: Any = None) -> dict[str, Any]:
        run = await self._run(ref)
        try:
            thread = await self.threads.get(ref.context_id)
        except NotFound as exc:  # deleted with its runs' rows still being removed
            raise A2AError(TASK_NOT_FOUND, f"Task not found: {ref.task_id}") from exc
        state = _STATES.get(run.status, "working")
        values = thread.values
        if (
            run.status in ("success", "interrupted")
            and thread.interrupts
            and await self._is_latest(run)
        ):
            state = "input-required"  # the thread waits for an answer to this run's interrupt
        task: dict[str, Any] = {
            "kind": "task",
            "id": ref.task_id,
            "contextId": ref.context_id,
            "status": {"state": state, "timestamp": run.updated_at},
            "history": _cut(history_of(values, ref), history_length),
            "artifacts": [],
        }
        if state == "failed":
            error = run.result.get("__error__") if isinstance(run.result, dict) else None
            text = (
                f"{error.get('error')}: {error.get('message')}"
                if isinstance(error, dict)
                else f"Run ended with status {run.status}"
            )
            task["status"]["message"] = _agent_message(text, ref)
        elif state == "input-required":
            task["status"]["message"] = {
                **_agent_message("The agent needs input to continue", ref),
                "parts": [{"kind": "data", "data": {"interrupts": thread.interrupts}}],
            }
        elif state == "completed":
            task["artifacts"] = [self._artifact(ref, run, values)]
        return task

    async def _is_latest(self, run: RunRecord) -> bool:
        latest = await self.runs.list_runs(run.thread_id, limit=1, offset=0, status=None)
        return bool(latest) and latest[0].run_id == run.run_id

    @staticmethod
    def _artifact(ref: TaskRef, run: RunRecord, values: Any) -> dict[str, Any]:
        messages = values.get("messages") if isinstance(values, dict) else None
        last = next((m for m in reversed(messages or []) if _is_ai(m)), None)
        part: dict[str, Any] = (
            {"kind": "text", "text": message_text(last)}
            if last is not None
            else {"kind": "data", "data": values if isinstance(values, dict) else {"value": values}}
        )
        return {
            "artifactId": str(uuid.uuid5(uuid.NAMESPACE_URL, ref.task_id)),
            "name": "Assistant Response",
            "description": f"Response from assistant {run.assistant_id}",
            "parts": [part],
        }

    async def cancel_task(self, task_id: Any) -> dict[str, Any]:
        """`tasks/cancel`: interrupt the run; a finished task cannot be cancelled."""
        ref = TaskRef.parse(task_id)
        await self._run(ref)  # hidden from the caller: unknown, whatever its state
        cancel = {"action": "interrupt", "metadata": {"run_ids": [ref.run_id], "status": None}}
        run = await self._run(ref, "update", cancel)
        if run.done:
            raise A2AError(TASK_NOT_CANCELABLE, "Task is not cancelable in its current state")
        try:
            await self.runs.cancel(ref.context_id, ref.run_id, action="interrupt")
        except NotFound as exc:  # it ended meanwhile
            raise A2AError(
                TASK_NOT_CANCELABLE, "Task is not cancelable in its current state"
            ) from exc
        await self.runs.outcome(run, timeout=_CANCEL_WAIT_SECONDS)
        return await self._task(ref)

    async def list_tasks(self, params: dict[str, Any]) -> dict[str, Any]:
        """`ListTasks` (v1.0): the tasks of one context, newest first."""
        context_id = params.get("contextId")
        if not isinstance(context_id, str) or not is_uuid(context_id):
            raise A2AError(INVALID_PARAMS, "contextId (a UUID) is required")
        size = params.get("pageSize") or 50
        offset = (
            int(params.get("pageToken") or 0)
            if str(params.get("pageToken") or "0").isdigit()
            else 0
        )
        try:
            await self.auth.check_thread(self.caller, context_id, "read")
            runs = await self.runs.list_runs(context_id, limit=size, offset=offset, status=None)
        except NotFound:  # an unknown context, or one the caller may not read
            runs = []
        tasks = [
            await self._task(TaskRef(context_id, r.run_id), params.get("historyLength"))
            for r in runs
        ]
        result: dict[str, Any] = {"tasks": tasks, "pageSize": size, "totalSize": len(tasks)}
        if len(runs) == size:
            result["nextPageToken"] = str(offset + size)
        return result


def _grown_text(texts: dict[str, str], chunk: Any) -> tuple[str, str] | None:
    """Fold a `messages-tuple` chunk into `texts` (message id -> reply so far): the
    message and its new text, or None when an AI message's text did not change."""
    if not _is_ai(chunk):
        return None
    message_id = str(chunk.get("id") or "")
    piece = message_text(chunk)
    text = texts.get(message_id, "") + piece if chunk["type"] != "ai" else piece
    if not text or text == texts.get(message_id):
        return None
    texts[message_id] = text
    return message_id, text


def _history_length(configuration: Any) -> Any:
    return configuration.get("historyLength") if isinstance(configuration, dict) else None


def _cut(history: list[dict[str, Any]], length: Any) -> list[dict[str, Any]]:
    if length is None:
        return history
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise A2AError(INVALID_PARAMS, "historyLength must be a non-negative integer")
    return history[-length:] if length else []
