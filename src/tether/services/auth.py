"""Custom auth: a project's `langgraph_sdk.Auth` object (`"auth": {"path": ...}` in
langgraph.json), applied the way the official server applies it.

- `authenticate` turns a request into a `Caller` (the user and their permissions), or refuses it;
- `authorize` runs the single most specific `@auth.on...` handler for a (resource, action) and
  returns its filter (or refuses);
- filters (`auth_filters`) are matched against a record's metadata (a store item's value); a
  single resource that a caller's filter hides is "not found" (404), a list or count silently
  shrinks.

With no auth configured, every method here is a no-op: the caller is `None` and everything
is allowed.

Where the official server has a quirk, Tether does the safe thing (docs/compatibility.md):
an unknown filter operator is an error instead of matching everything, the headers of an
`HTTPException` raised by `authenticate` are kept, and `authenticate` returning `None` is a 401.
"""

from __future__ import annotations

import asyncio
import http
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from tether.errors import BadRequest, Conflict, NotFound, TetherError
from tether.ids import assistant_id_for_graph, is_uuid
from tether.ports import AssistantStore, CronStore, RunStore, ThreadStore
from tether.services.auth_filters import (
    Filters,
    check_filters,
    matches,
    merge_equalities,
    split_filters,
)

log = logging.getLogger("tether.auth")

T = TypeVar("T")
_Data = dict[str, Any]  # `dict` is a method name inside AuthUser

#: The parameters `@auth.authenticate` may declare, as the official server supplies them.
AUTHENTICATE_PARAMS = (
    "authorization",
    "headers",
    "path",
    "method",
    "query_params",
    "request",
    "scope",
    "path_params",
    "scopes",
    "user",
)
#: Keys of `config["configurable"]` that carry the user into a run.
USER_KEYS = ("langgraph_auth_user", "langgraph_auth_user_id", "langgraph_auth_permissions")
_PAGE = 200
#: The JSON-RPC error code of MCP and A2A for a refusal by the project's auth handlers
#: (neither protocol has one; JSON-RPC leaves -32000 to -32099 to the server, and A2A's own
#: codes start at -32001). The error's `data` holds the HTTP status the refusal would have.
JSONRPC_REFUSED = -32000


class AuthError(TetherError):
    """A refusal from the project's auth code: its status, detail and headers."""

    def __init__(
        self, status_code: int, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.headers = dict(headers) if headers else None


class AuthConfigError(Exception):
    """The project's auth object cannot be used (raised at start)."""


class AuthUser(Mapping[str, Any]):
    """The authenticated user as handlers and graphs see it: attributes `identity`,
    `display_name`, `is_authenticated`, `permissions` and any extra key the `authenticate`
    handler returned; also a read-only mapping (`user["identity"]`, `.get`, `.dict()`).

    Example:
        >>> user = AuthUser({"identity": "alice", "org": "acme"})
        >>> (user.identity, user.org, user["display_name"], user.permissions)
        ('alice', 'acme', 'alice', [])
    """

    __slots__ = ("_data", "_source")

    def __init__(self, data: Mapping[str, Any], source: Any = None) -> None:
        identity = data["identity"]
        self._data: dict[str, Any] = {
            "identity": identity,
            "display_name": identity,
            "is_authenticated": True,
            **data,
        }
        self._data["permissions"] = list(self._data.get("permissions") or [])
        self._source = source

    @property
    def identity(self) -> str:
        return str(self._data["identity"])

    @property
    def display_name(self) -> str:
        return str(self._data["display_name"])

    @property
    def is_authenticated(self) -> bool:
        return bool(self._data["is_authenticated"])

    @property
    def permissions(self) -> list[str]:
        return list(self._data["permissions"])

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        if name in data:
            return data[name]
        source = object.__getattribute__(self, "_source")
        if source is not None and not name.startswith("__"):
            return getattr(source, name)
        raise AttributeError(name)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"AuthUser({self._data!r})"

    def dict(self) -> _Data:
        return {**self._data}

    def to_json(self) -> _Data:
        """The fields that survive a trip through storage (to a worker in another process)."""
        return {key: value for key, value in self._data.items() if _jsonable(value)}


def _jsonable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


def user_from(result: Any) -> AuthUser | None:
    """What `authenticate` returned, as a user (None if it is not one)."""
    if isinstance(result, tuple) and len(result) == 2:
        permissions, inner = result
        user = user_from(inner)
        if user is None:
            return None
        return AuthUser({**user.dict(), "permissions": list(permissions or [])}, user._source)
    if isinstance(result, str):
        return AuthUser({"identity": result})
    if isinstance(result, Mapping):
        if not isinstance(result.get("identity"), str):
            return None
        return AuthUser(dict(result))
    identity = getattr(result, "identity", None)
    if not isinstance(identity, str):
        return None
    data: dict[str, Any] = {"identity": identity}
    for name in ("display_name", "is_authenticated", "permissions"):
        value = getattr(result, name, None)
        if value is not None:
            data[name] = list(value) if name == "permissions" else value
    return AuthUser(data, result)


@dataclass(frozen=True)
class Caller:
    """Who makes a request (the auth context services take)."""

    user: AuthUser

    @property
    def identity(self) -> str:
        return self.user.identity

    @property
    def permissions(self) -> list[str]:
        return self.user.permissions

    def configurable(self) -> dict[str, Any]:
        """What a run's `config["configurable"]` holds about its user (JSON, stored with it)."""
        return {
            "langgraph_auth_user": self.user.to_json(),
            "langgraph_auth_user_id": self.identity,
            "langgraph_auth_permissions": self.permissions,
            "user_id": self.identity,
        }


# -- the service ---------------------------------------------------------------------------


class AuthService:
    """The project's auth object, applied. `auth` is a `langgraph_sdk.Auth` (or None)."""

    def __init__(
        self,
        auth: Any,
        *,
        openapi: Mapping[str, Any] | None = None,
        threads: ThreadStore,
        assistants: AssistantStore,
        crons: CronStore,
        runs: RunStore,
    ) -> None:
        self.auth = auth
        self.openapi = dict(openapi or {})
        self.threads = threads
        self.assistants = assistants
        self.crons = crons
        self.runs = runs
        self._authenticate: Callable[..., Any] | None = None
        self._params: list[str] = []
        self._handlers: dict[tuple[str, str], Any] = {}
        if auth is not None:
            self._authenticate = getattr(auth, "_authenticate_handler", None)
            if self._authenticate is not None:
                self._params = authenticate_params(self._authenticate)

    @property
    def enabled(self) -> bool:
        """Requests are authenticated (the project has an `authenticate` handler)."""
        return self._authenticate is not None

    # -- authentication ------------------------------------------------------------------

    async def authenticate(self, available: Mapping[str, Any]) -> Caller:
        """Run `@auth.authenticate` with the parameters it declares (taken from
        `available`); the caller, or an `AuthError` (401 by default)."""
        handler = self._authenticate
        assert handler is not None
        args = {name: available.get(name) for name in self._params}
        args.update({k: v for k, v in (("path_params", {}), ("scopes", [])) if k in self._params})
        try:
            if inspect.iscoroutinefunction(handler):
                result = await handler(**args)
            else:
                result = await asyncio.to_thread(handler, **args)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as exc:
            raise _auth_error(exc, authenticating=True) from exc
        if result is None:
            raise AuthError(401, "Unauthorized")
        user = user_from(result)
        if user is None:
            log.error("auth: authenticate returned %r, not a user", type(result).__name__)
            raise AuthError(
                500,
                "Auth handler returned an invalid user: expected a str identity, a dict with"
                " an 'identity' str, or an object with an 'identity' attribute",
            )
        return Caller(user)

    # -- authorization -------------------------------------------------------------------

    def handler_for(self, resource: str, action: str) -> Any:
        """The one handler that runs for (resource, action): the most specific one."""
        key = (resource, action)
        if key not in self._handlers:
            handlers: dict[tuple[str, str], list[Any]] = getattr(self.auth, "_handlers", {})
            found = None
            for candidate in (key, (resource, "*"), ("*", action)):
                if handlers.get(candidate):
                    found = handlers[candidate][-1]
                    break
            if found is None:
                global_handlers = getattr(self.auth, "_global_handlers", None) or []
                found = global_handlers[-1] if global_handlers else None
            self._handlers[key] = found
        return self._handlers[key]

    async def authorize(
        self, caller: Caller | None, resource: str, action: str, value: dict[str, Any]
    ) -> Filters | None:
        """Run the handler for (resource, action) on `value` (which it may edit in place).
        Returns its filter, None to allow everything, or raises `AuthError`."""
        if caller is None:
            return None
        handler = self.handler_for(resource, action)
        if handler is None:
            return None
        from langgraph_sdk.auth.types import AuthContext

        ctx = AuthContext(
            permissions=caller.permissions,
            user=caller.user,
            resource=resource,  # type: ignore[arg-type]
            action=action,  # type: ignore[arg-type]
        )
        try:
            result = await handler(ctx=ctx, value=value)
        except Exception as exc:
            raise _auth_error(exc, authenticating=False) from exc
        if result is None or result is True:
            return None
        if result is False:
            raise AuthError(403, "Forbidden")
        if isinstance(result, dict):
            return check_filters(result) or None
        raise AuthError(
            500,
            "Auth handler returned invalid result. Expected filter dict, None, or boolean."
            f" Got {type(result).__name__}",
        )

    # -- single resources ----------------------------------------------------------------

    async def check_thread(
        self,
        caller: Caller | None,
        thread_id: str,
        action: str,
        value: dict[str, Any] | None = None,
        *,
        detail: str | None = None,
    ) -> dict[str, Any]:
        """Authorize `action` on a thread; 404 if the caller's filter hides it. Returns the
        (possibly edited) value. A missing thread is left to the service that reads it."""
        if caller is None:
            return value or {}
        value = {"thread_id": _uuid(thread_id), **(value or {})}
        filters = await self.authorize(caller, "threads", action, value)
        if filters and is_uuid(thread_id):
            thread = await self.threads.get_thread(thread_id)
            if thread is not None and not matches(filters, thread.metadata):
                raise NotFound(detail or f"Thread with ID {thread_id} not found")
        return value

    async def check_assistant(
        self,
        caller: Caller | None,
        assistant_id: str,
        action: str,
        value: dict[str, Any] | None = None,
        *,
        detail: str | None = None,
    ) -> dict[str, Any]:
        """Authorize `action` on an assistant; 404 if the caller's filter hides it."""
        if caller is None:
            return value or {}
        value = {"assistant_id": _uuid(assistant_id), **(value or {})}
        filters = await self.authorize(caller, "assistants", action, value)
        if filters and is_uuid(assistant_id):
            found = await self.assistants.get_assistant(assistant_id)
            if found is not None and not matches(filters, found.get("metadata")):
                raise NotFound(detail or f"Assistant {assistant_id} not found")
        return value

    async def check_cron(
        self,
        caller: Caller | None,
        cron_id: str,
        action: str,
        value: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Authorize `action` on a cron job; 404 if the caller's filter hides it."""
        if caller is None:
            return value or {}
        value = {
            "cron_id": cron_id if action in ("update", "delete") else _uuid(cron_id),
            **(value or {}),
        }
        filters = await self.authorize(caller, "crons", action, value)
        if filters and is_uuid(cron_id):
            found = await self.crons.get_cron(cron_id)
            if found is not None and not matches(filters, found.get("metadata")):
                raise NotFound(f"Cron with ID {cron_id} not found")
        return value

    async def check_run(self, caller: Caller | None, run_id: str, action: str) -> bool:
        """May the caller see this run (whatever thread it is on)? A run inherits its
        thread's access; a run whose thread is gone is judged by its own metadata (which
        holds its thread's)."""
        if caller is None or not is_uuid(run_id):
            return True
        run = await self.runs.get_run(run_id)
        if run is None:
            return True
        value = {"thread_id": _uuid(run.thread_id), "run_id": _uuid(run_id)}
        filters = await self.authorize(caller, "threads", action, value)
        if not filters:
            return True
        thread = await self.threads.get_thread(run.thread_id)
        return matches(filters, thread.metadata if thread is not None else run.metadata)

    async def thread_visible(self, caller: Caller | None, thread_id: str, action: str) -> bool:
        try:
            await self.check_thread(caller, thread_id, action)
        except NotFound:
            return False
        return True

    async def check_new_thread_id(self, caller: Caller | None, thread_id: str | None) -> None:
        """Creating a thread under an id another user's thread has is a conflict (never a
        way to reach their thread through `if_exists: do_nothing`)."""
        if caller is None or thread_id is None or not is_uuid(thread_id):
            return
        existing = await self.threads.get_thread(thread_id)
        if existing is None:
            return
        filters = await self.authorize(caller, "threads", "read", {"thread_id": _uuid(thread_id)})
        if not matches(filters, existing.metadata):
            raise Conflict(f"Thread with ID {thread_id} already exists")

    async def cancellable_runs(
        self,
        caller: Caller | None,
        run_ids: Sequence[str] | None,
        status: str | None,
        value: dict[str, Any],
    ) -> list[str]:
        """The in-flight runs a bulk cancel without a thread may stop: those on threads the
        caller may update."""
        filters = await self.authorize(caller, "threads", "update", {"thread_id": None, **value})
        found = await self.runs.find_inflight(
            thread_id=None,
            run_ids=run_ids,
            status=status if status in ("pending", "running") else None,
        )
        kept = []
        for run in found:
            thread = await self.threads.get_thread(run.thread_id)
            if matches(filters, thread.metadata if thread is not None else run.metadata):
                kept.append(run.run_id)
        return kept

    async def check_new_assistant_id(self, caller: Caller | None, assistant_id: str | None) -> None:
        """As `check_new_thread_id`, for assistants."""
        if caller is None or assistant_id is None or not is_uuid(assistant_id):
            return
        existing = await self.assistants.get_assistant(assistant_id)
        if existing is None:
            return
        value = {"assistant_id": _uuid(assistant_id)}
        filters = await self.authorize(caller, "assistants", "read", value)
        if not matches(filters, existing.get("metadata")):
            raise Conflict(f"Assistant {assistant_id} already exists")

    async def check_run_create(
        self, caller: Caller | None, thread_id: str | None, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Authorize `threads.create_run`: stamps the user into the run's config, lets the
        handler edit the run's metadata and kwargs, and checks the thread and a
        user-created assistant are the caller's (404 if not). Returns the metadata a thread
        the run creates gets (None without auth)."""
        if caller is None:
            return None
        config = dict(payload.get("config") or {})
        config["configurable"] = {**(config.get("configurable") or {}), **caller.configurable()}
        kwargs = {
            key: payload.get(key)
            for key in ("input", "command", "context", "stream_mode", "interrupt_before")
        }
        kwargs["config"] = config
        value: dict[str, Any] = {
            "thread_id": _uuid(thread_id) if thread_id else None,
            "assistant_id": payload.get("assistant_id"),
            "run_id": None,
            "status": "pending",
            "metadata": dict(payload.get("metadata") or {}),
            "prevent_insert_if_inflight": True,
            "multitask_strategy": payload.get("multitask_strategy") or "enqueue",
            "if_not_exists": "create" if thread_id is None else payload.get("if_not_exists"),
            "after_seconds": payload.get("after_seconds"),
            "kwargs": kwargs,
        }
        missing = "Thread or assistant not found."
        filters = await self.authorize(caller, "threads", "create_run", value)
        if filters and thread_id is not None and is_uuid(thread_id):
            thread = await self.threads.get_thread(thread_id)
            if thread is not None and not matches(filters, thread.metadata):
                raise NotFound(missing)
        await self.check_run_assistant(caller, payload.get("assistant_id"), missing)
        payload["metadata"] = value["metadata"]
        edited = value["kwargs"]
        for key in ("input", "command", "context"):
            payload[key] = edited.get(key)
        payload["config"] = edited.get("config") or config
        return dict(value["metadata"] or {})

    async def check_run_assistant(
        self, caller: Caller | None, assistant_id: Any, detail: str
    ) -> None:
        """A run or cron may use a graph's own assistant; another user-created assistant
        must pass `assistants.read`."""
        if caller is None or not isinstance(assistant_id, str):
            return
        if not is_uuid(assistant_id):
            assistant_id = assistant_id_for_graph(assistant_id)
        found = await self.assistants.get_assistant(assistant_id)
        if found is None or (found.get("metadata") or {}).get("created_by") == "system":
            return
        await self.check_assistant(caller, assistant_id, "read", detail=detail)

    # -- lists and counts ----------------------------------------------------------------

    async def search(
        self,
        caller: Caller | None,
        resource: str,
        value: dict[str, Any],
        fetch: Callable[[dict[str, Any] | None, int, int], Awaitable[list[T]]],
        metadata_of: Callable[[T], Mapping[str, Any] | None],
        *,
        limit: int,
        offset: int,
        extra: Callable[[T], Awaitable[bool]] | None = None,
    ) -> list[T]:
        """A page of `fetch(metadata, limit, offset)` restricted by the caller's `search`
        filter: plain equalities go to the store's metadata filter, anything else (and
        `extra`) is checked here while paging."""
        filters = await self.authorize(caller, resource, "search", value)
        return await self.filtered(
            filters,
            fetch,
            metadata_of,
            client=value.get("metadata"),
            limit=limit,
            offset=offset,
            extra=extra,
        )

    async def filtered(
        self,
        filters: Filters | None,
        fetch: Callable[[dict[str, Any] | None, int, int], Awaitable[list[T]]],
        metadata_of: Callable[[T], Mapping[str, Any] | None],
        *,
        client: Mapping[str, Any] | None,
        limit: int,
        offset: int,
        extra: Callable[[T], Awaitable[bool]] | None = None,
    ) -> list[T]:
        """A page of `fetch(filter, limit, offset)` (`client`: the client's own filter)
        restricted by `filters` and `extra`."""
        if not filters and extra is None:
            return await fetch(dict(client) if client is not None else None, limit, offset)
        equal, rest = split_filters(filters or {})
        merged = merge_equalities(client, equal)
        if merged is None:
            return []
        if not rest and extra is None:
            return await fetch(merged or None, limit, offset)
        kept: list[T] = []
        skipped = 0
        position = 0
        while len(kept) < limit:
            page = await fetch(merged or None, _PAGE, position)
            for item in page:
                if not matches(rest, metadata_of(item)):
                    continue
                if extra is not None and not await extra(item):
                    continue
                if skipped < offset:
                    skipped += 1
                elif len(kept) < limit:
                    kept.append(item)
            if len(page) < _PAGE:
                break
            position += _PAGE
        return kept

    async def count(
        self,
        caller: Caller | None,
        resource: str,
        value: dict[str, Any],
        count: Callable[[dict[str, Any] | None], Awaitable[int]],
        fetch: Callable[[dict[str, Any] | None, int, int], Awaitable[list[T]]],
        metadata_of: Callable[[T], Mapping[str, Any] | None],
        *,
        extra: Callable[[T], Awaitable[bool]] | None = None,
    ) -> int:
        """`count(metadata)` restricted by the caller's `search` filter (as `search`)."""
        filters = await self.authorize(caller, resource, "search", {**value, "limit": 0})
        client = value.get("metadata")
        if not filters and extra is None:
            return await count(client)
        equal, rest = split_filters(filters or {})
        merged = merge_equalities(client, equal)
        if merged is None:
            return 0
        if not rest and extra is None:
            return await count(merged or None)
        total = 0
        position = 0
        while True:
            page = await fetch(merged or None, _PAGE, position)
            for item in page:
                if matches(rest, metadata_of(item)) and (extra is None or await extra(item)):
                    total += 1
            if len(page) < _PAGE:
                return total
            position += _PAGE

    async def cron_thread_check(
        self, caller: Caller | None
    ) -> Callable[[Mapping[str, Any]], Awaitable[bool]] | None:
        """Crons on a thread are also filtered by the caller's `threads.search` filter on
        their thread (threadless crons are not): the check, or None when nothing is hidden."""
        filters = await self.authorize(caller, "threads", "search", {})
        if not filters:
            return None

        async def visible(cron: Mapping[str, Any]) -> bool:
            if not cron.get("thread_id"):
                return True
            thread = await self.threads.get_thread(cron["thread_id"])
            return thread is None or matches(filters, thread.metadata)

        return visible

    async def check_prune(self, caller: Caller | None, thread_ids: Sequence[str]) -> None:
        """`threads.delete` for the whole list, then for each thread: 404 if any is hidden."""
        if caller is None:
            return
        await self.authorize(caller, "threads", "delete", {"thread_ids": list(thread_ids)})
        for thread_id in thread_ids:
            if not await self.thread_visible(caller, thread_id, "delete"):
                raise NotFound("At least one thread not found or not authorized")

    async def deletable_threads(
        self, caller: Caller | None, metadata: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The metadata filter selecting the threads matching `metadata` that the caller may
        delete (an assistant's threads, deleted with it); None when it cannot be expressed
        as one (then none are deleted)."""
        filters = await self.authorize(caller, "threads", "delete", {"thread_id": None})
        equal, rest = split_filters(filters or {})
        return None if rest else merge_equalities(metadata, equal)

    # -- store ---------------------------------------------------------------------------

    async def check_store(
        self, caller: Caller | None, action: str, value: dict[str, Any]
    ) -> tuple[dict[str, Any], Filters | None]:
        """Authorize a store action; the handler may rewrite `value` (e.g. prefix the
        namespace with the user's identity). Returns the value and, for `search`, the
        filter on item values."""
        filters = await self.authorize(caller, "store", action, value)
        namespace = value.get("namespace")
        if namespace is not None:
            value["namespace"] = tuple(namespace)
        return value, (filters if action == "search" else None)


def refusal(error: TetherError) -> dict[str, Any]:
    """A refusal as protocols without HTTP statuses report it (MCP tool results, JSON-RPC
    error data): `{"error": "Forbidden", "message": "<detail>", "status": 403}`."""
    try:
        name = http.HTTPStatus(error.status_code).phrase.replace(" ", "")
    except ValueError:
        name = "Refused"
    return {"error": name, "message": error.detail, "status": error.status_code}


def _uuid(value: str) -> Any:
    return uuid.UUID(value) if is_uuid(value) else value


def authenticate_params(handler: Callable[..., Any]) -> list[str]:
    """The parameters to pass `handler`; refuses one Tether cannot supply."""
    params = []
    for name, param in inspect.signature(handler).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in AUTHENTICATE_PARAMS:
            params.append(name)
        elif param.default is param.empty:
            raise AuthConfigError(
                f"The authenticate handler's parameter {name!r} cannot be supplied; it may"
                f" take any of: {', '.join(AUTHENTICATE_PARAMS)}"
            )
    return params


def _auth_error(exc: Exception, *, authenticating: bool) -> TetherError:
    from langgraph_sdk.auth.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return AuthError(exc.status_code, str(exc.detail), exc.headers)
    if isinstance(exc, TetherError):
        return exc
    if isinstance(exc, ValueError):
        return BadRequest(str(exc))
    if isinstance(exc, AssertionError) and not authenticating:
        return AuthError(403, str(exc) or "Forbidden")
    log.exception("auth handler failed", exc_info=exc)
    return AuthError(500, "Auth handler failed")
