"""MCP tools: every assistant is a tool; calling one runs it to completion (stateless).

The rules of the official server's `/mcp`, without its two bugs: an assistant whose graph
reports no input schema is still listed (with `{"type": "object"}`), and a call answers
the run's output as JSON, not as a Python repr.

With custom auth, a caller's tools are what `POST /assistants/search` shows them
(`assistants.search`), and a call is what `POST /runs/wait` does for them
(`threads.create_run`, the user in the run's config, a user-created assistant must pass
`assistants.read`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema

from tether.errors import InvalidInput, NotFound, TetherError
from tether.ids import is_uuid
from tether.serialization import dumps
from tether.services.assistants import AssistantService
from tether.services.auth import AuthError, AuthService, Caller, refusal
from tether.services.runs import RunService

#: Tools per `tools/list` page (the official page size); `nextCursor` is the next offset.
PAGE_SIZE = 100
#: MCP tool names: letters, digits, `_`, `-`, `.`; at most 128 characters.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_NAME = 128
#: The same hints on every tool: a run may change a thread and call anything.
ANNOTATIONS = {
    "readOnlyHint": False,
    "destructiveHint": False,
    "idempotentHint": False,
    "openWorldHint": True,
}


class UnknownTool(NotFound):
    """`tools/call` names no assistant."""


@dataclass(frozen=True)
class ToolResult:
    """What a tool call answers: the JSON text of the run's output, or of its error."""

    text: str
    is_error: bool


def tool_name(assistant_name: str) -> str:
    """An assistant's name made safe for MCP: `My agent!` becomes `My_agent`."""
    safe = _UNSAFE.sub("_", assistant_name).strip("_")[:_MAX_NAME]
    return safe or "assistant"


class McpTools:
    """The tools of one caller (`caller` None: no custom auth, every assistant)."""

    def __init__(
        self,
        assistants: AssistantService,
        runs: RunService,
        timeout_seconds: float,
        *,
        auth: AuthService,
        caller: Caller | None,
    ) -> None:
        self.assistants = assistants
        self.runs = runs
        self.timeout_seconds = timeout_seconds
        self.auth = auth
        self.caller = caller

    async def _catalog(self, offset: int = 0) -> list[tuple[str, dict[str, Any]]]:
        """Every assistant the caller may see with its tool name, oldest first. Two
        assistants whose names are the same once made safe are both listed: the later one
        gets `_2`, `_3`, ... (the official server drops it). `offset` is only what the
        `assistants.search` handler is told about the page asked for."""
        search = {"graph_id": None, "metadata": None, "limit": PAGE_SIZE, "offset": offset}
        filters = await self.auth.authorize(self.caller, "assistants", "search", search)

        def fetch(metadata: dict[str, Any] | None, limit: int, at: int) -> Any:
            return self.assistants.store.search_assistants(
                metadata=metadata,
                graph_id=None,
                name=None,
                limit=limit,
                offset=at,
                sort_by="created_at",
                sort_order="asc",
            )

        found: list[dict[str, Any]] = []
        position = 0
        while True:
            page = await self.auth.filtered(
                filters,
                fetch,
                lambda assistant: assistant.get("metadata"),
                client=None,
                limit=PAGE_SIZE,
                offset=position,
            )
            found.extend(page)
            if len(page) < PAGE_SIZE:
                break
            position += PAGE_SIZE
        taken: set[str] = set()
        catalog = []
        for assistant in found:
            base = tool_name(assistant.get("name") or assistant["graph_id"])
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base[: _MAX_NAME - len(str(n)) - 1]}_{n}"
            taken.add(name)
            catalog.append((name, assistant))
        return catalog

    async def list_tools(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of tools (MCP `Tool` objects) and the cursor of the next page."""
        try:
            offset = int(cursor) if cursor else 0
        except ValueError as exc:
            raise InvalidInput(f"Invalid cursor: {cursor!r}") from exc
        if offset < 0:
            raise InvalidInput(f"Invalid cursor: {cursor!r}")
        catalog = await self._catalog(offset)
        page = catalog[offset : offset + PAGE_SIZE]
        tools = [await self._tool(name, assistant) for name, assistant in page]
        more = offset + PAGE_SIZE < len(catalog)
        return tools, str(offset + PAGE_SIZE) if more else None

    async def _tool(self, name: str, assistant: dict[str, Any]) -> dict[str, Any]:
        title = assistant.get("name") or assistant["graph_id"]
        return {
            "name": name,
            "title": title,
            "description": assistant.get("description") or f"Tool based on the {title} assistant",
            "inputSchema": await self.input_schema(assistant["assistant_id"]),
            "annotations": ANNOTATIONS,
        }

    async def input_schema(self, assistant_id: str) -> dict[str, Any]:
        """The assistant's input schema as a tool's: always an object schema, `{"type":
        "object"}` when the graph has none or it cannot be derived."""
        try:
            schema = (await self.assistants.schemas(assistant_id)).get("input_schema")
        except TetherError:
            schema = None
        if not isinstance(schema, dict):
            return {"type": "object"}
        return {**schema, "type": "object"}

    async def resolve(self, name: str) -> dict[str, Any]:
        """The assistant a tool name stands for; a graph id or an assistant id also works
        (if the caller may run it: a user-created assistant must pass `assistants.read`)."""
        unknown = UnknownTool(f"Unknown tool: {name}")
        try:
            catalog = await self._catalog()
        except AuthError:  # may not list assistants: a graph or an id can still be run
            catalog = []
        for listed, assistant in catalog:
            if listed == name:
                return assistant
        if not (is_uuid(name) or name in self.assistants.registry):
            raise unknown
        try:
            assistant = await self.assistants.resolve(name)
            await self.auth.check_run_assistant(
                self.caller, assistant["assistant_id"], unknown.detail
            )
        except NotFound:
            raise unknown from None
        return assistant

    async def call_tool(self, name: str, arguments: dict[str, Any] | None) -> ToolResult:
        """Run the tool's assistant on `arguments` as a stateless run and wait for its end.

        Arguments that do not fit the input schema are an error result (not a protocol
        error), so a model can correct its call; no run starts then. So is a refusal of
        the caller's auth rules (`threads.create_run`): `{"error", "message", "status"}`."""
        assistant = await self.resolve(name)
        payload: dict[str, Any] = {
            "assistant_id": assistant["assistant_id"],
            "input": arguments or {},
        }
        try:
            owner = await self.auth.check_run_create(self.caller, None, payload)
        except NotFound:  # the assistant is hidden from the caller: as if it did not exist
            raise UnknownTool(f"Unknown tool: {name}") from None
        except TetherError as exc:
            return ToolResult(dumps(refusal(exc)).decode(), is_error=True)
        problem = _schema_problem(
            await self.input_schema(assistant["assistant_id"]), arguments or {}
        )
        if problem is not None:
            return ToolResult(
                dumps({"error": "InvalidArguments", "message": problem}).decode(), is_error=True
            )
        run = await self.runs.create(None, payload, stateless=True, thread_metadata=owner)
        end = await self.runs.outcome(run, timeout=self.timeout_seconds, fresh=True)
        if end is None:
            return ToolResult(f"The run {run.run_id} did not finish in time.", is_error=True)
        result = end.get("result")
        if isinstance(result, dict) and "__error__" in result:
            return ToolResult(dumps(result["__error__"]).decode(), is_error=True)
        if end.get("status") not in ("success", "interrupted"):
            return ToolResult(
                dumps({"error": "RunFailed", "status": end.get("status")}).decode(), True
            )
        return ToolResult(dumps({} if result is None else result).decode(), is_error=False)


def _schema_problem(schema: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    """Why `arguments` do not fit `schema` (None when they do, or the schema is unusable)."""
    try:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        error = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(arguments))
    except Exception:
        # A schema the checker cannot use (invalid, an unknown type, a $ref it cannot
        # resolve) checks nothing: the graph still validates its own input.
        return None
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else str(error.message)
