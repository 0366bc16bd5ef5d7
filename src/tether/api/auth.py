"""Custom auth at the HTTP edge: every request except the open paths is authenticated by the
project's `@auth.authenticate` before routing (an unknown path is a 401, not a 404); routes
read the caller with `caller_of(request)` and hand it to the services. The `auth.openapi`
section of langgraph.json adds security schemes to `/openapi.json`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tether.api.responses import json_response
from tether.errors import TetherError
from tether.services.auth import AuthError, AuthService, Caller

#: Paths any client may read without credentials (as the official server; `/ui` and
#: `/static` serve the web UI and the docs' assets, which send no credentials of their own).
OPEN_PATHS = frozenset(
    {"/", "/ok", "/info", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/ui/", "/static/")
_STATE_KEY = "tether_caller"


def is_open(method: str, path: str) -> bool:
    """Is this request served without authentication?"""
    if path in OPEN_PATHS:
        return True
    return method in ("GET", "HEAD") and (path == "/ui" or path.startswith(OPEN_PREFIXES))


def caller_of(request: HTTPConnection) -> Caller | None:
    """Who made the request (None when the project has no custom auth)."""
    caller: Caller | None = request.scope.get("state", {}).get(_STATE_KEY)
    return caller


class AuthMiddleware:
    """Authenticates each HTTP request with the runtime's `AuthService`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        websocket = scope["type"] == "websocket"
        method = "GET" if websocket else scope["method"]
        runtime = getattr(scope["app"].state, "runtime", None)
        service: AuthService | None = runtime.auth if runtime is not None else None
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # served under `http.mount_prefix`
            path = path[len(root) :] or "/"
        if service is None or not service.enabled or (not websocket and is_open(method, path)):
            await self.app(scope, receive, send)
            return
        if websocket:
            # The handshake is authenticated like a request; refused, it is closed before
            # it is accepted (the client sees HTTP 403).
            connection = HTTPConnection(scope)
            try:
                caller = await service.authenticate(
                    {
                        "authorization": connection.headers.get("authorization"),
                        "headers": dict(scope["headers"]),
                        "path": scope["path"],
                        "method": method,
                        "query_params": QueryParams(scope.get("query_string", b"")),
                        "request": connection,
                        "scope": scope,
                        "user": None,
                    }
                )
            except TetherError:
                await send({"type": "websocket.close", "code": 1008})
                return
            scope.setdefault("state", {})[_STATE_KEY] = caller
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            caller = await service.authenticate(
                {
                    "authorization": request.headers.get("authorization"),
                    "headers": dict(scope["headers"]),
                    "path": scope["path"],
                    "method": scope["method"],
                    "query_params": QueryParams(scope.get("query_string", b"")),
                    "request": request,
                    "scope": scope,
                    "user": None,
                }
            )
        except TetherError as exc:
            headers = exc.headers if isinstance(exc, AuthError) else None
            response = json_response(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[_STATE_KEY] = caller
        await self.app(scope, _replay_body(request, receive), send)


def _replay_body(request: Request, receive: Receive) -> Receive:
    """If `authenticate` read the body (through `request`), the route reads it again."""
    body: bytes | None = getattr(request, "_body", None)
    if body is None:
        return receive
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def add_security(schema: dict[str, Any], openapi: Mapping[str, Any]) -> dict[str, Any]:
    """Put langgraph.json's `auth.openapi` into an OpenAPI document: `securitySchemes`
    (or `security_schemes`) into components, `security` at the top, and `paths` as the
    `security` of the operations the document has."""
    schemes = openapi.get("securitySchemes") or openapi.get("security_schemes")
    if schemes:
        schema.setdefault("components", {})["securitySchemes"] = dict(schemes)
    if openapi.get("security") is not None:
        schema["security"] = openapi["security"]
    for path, methods in (openapi.get("paths") or {}).items():
        operations = schema.get("paths", {}).get(path)
        if not isinstance(operations, dict) or not isinstance(methods, Mapping):
            continue
        for method, security in methods.items():
            if method.lower() in operations:
                operations[method.lower()]["security"] = security
    return schema


def install(app: FastAPI) -> None:
    """Authenticate requests and document the security schemes (call before adding the
    CORS middleware, so preflights and CORS headers stay outside auth)."""
    app.add_middleware(AuthMiddleware)
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None and runtime.auth.openapi:
            add_security(schema, runtime.auth.openapi)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
