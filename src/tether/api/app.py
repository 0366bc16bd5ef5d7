"""The ASGI application: lifespan owns the runtime; errors become `{"detail": ...}`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from tether import __version__
from tether.api import (
    a2a,
    assistants,
    auth,
    crons,
    guards,
    mcp,
    runs,
    store,
    system,
    thread_stream,
    threads,
    ui,
)
from tether.api.responses import json_response
from tether.api.schemas import TooDeep
from tether.errors import TetherError
from tether.graphs import GraphConfigError, Project, read_config
from tether.http_options import HttpOptions
from tether.runtime import Runtime
from tether.settings import Settings
from tether.tracing import configure as configure_tracing
from tether.tracing import http_telemetry

#: Where the scripts, styles and icon of `/docs` and `/redoc` are served.
DOCS_ASSETS_URL = "/static/docs"


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return "Invalid JSON in request body"
        location = ".".join(
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")
        )
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts) or "Invalid request"


def _http_options(settings: Settings, project: Project | None) -> HttpOptions:
    """The project's `http` options; without a project (the lifespan reads it), those of
    `settings.config`, its app not imported (`build_app` serves the app)."""
    if project is not None:
        return project.http
    try:
        return read_config(settings.config).http
    except GraphConfigError:
        return HttpOptions()  # the lifespan reports it


def create_app(
    settings: Settings | None = None, *, workers: bool = True, project: Project | None = None
) -> FastAPI:
    """Tether's own app; its lifespan starts the runtime on `project` (default: read
    `settings.config`). Routes the project's `http.disable_*` options remove are left out;
    `build_app` adds the project's `http.app` and `http.mount_prefix`."""
    settings = settings or Settings.from_env()
    http = _http_options(settings, project)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings, workers=workers, project=project)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    # `/docs` (Swagger UI) and `/redoc` load their scripts, styles and icon from this server
    # (fastapi-offline ships them), not from a CDN, so they work without internet; Swagger UI
    # is told not to send the spec to its online validator either.
    about: dict[str, Any] = {
        "title": "Tether",
        "version": __version__,
        "description": "A self-hosted LangGraph Agent Server: durable runs you can join, resume"
        " and cancel.",
        "lifespan": lifespan,
    }
    if configure_tracing():
        about["telemetry"] = http_telemetry()  # a span per request (FastAPI's own)
    if "meta" in http.disabled:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, **about)
    else:
        app = FastAPIOffline(
            static_url=DOCS_ASSETS_URL, swagger_ui_parameters={"validatorUrl": None}, **about
        )
    auth.install(app)  # inside CORS: preflights and CORS headers do not need credentials
    guards.install(app, settings, http)

    @app.exception_handler(TetherError)
    async def tether_error(request: Request, exc: TetherError) -> Response:
        headers = getattr(exc, "headers", None)
        return json_response({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        too_deep = any(isinstance(e.get("ctx", {}).get("error"), TooDeep) for e in exc.errors())
        return json_response(
            {"detail": _validation_detail(exc)}, status_code=400 if too_deep else 422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return json_response(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    groups = {
        "assistants": [assistants],
        "threads": [threads, thread_stream],
        "runs": [runs, crons],
    }
    groups["store"] = [store]
    groups["ui"] = [ui]
    groups["a2a"] = [a2a]
    if "meta" in http.disabled:

        @app.get("/ok", include_in_schema=False)
        async def ok() -> Response:
            return json_response({"ok": True})
    else:
        groups["meta"] = [system]
    for group, modules in groups.items():
        if group in http.disabled:
            continue
        for module in modules:
            # Added to the app's own router: FastAPI matches included routers per request at a
            # measurable cost (~90 µs a request).
            app.router.routes.extend(module.router.routes)
    if "mcp" not in http.disabled:
        app.router.routes.extend(mcp.routes)
    return app


def build_app(settings: Settings, *, workers: bool, project: Project) -> ASGIApp:
    """What the server serves: Tether's app, with the project's `http.app` beside it (its
    routes first) and everything under `http.mount_prefix`, when langgraph.json says so."""
    tether = create_app(settings, workers=workers, project=project)
    http = project.http
    if http.app is None and not http.mount_prefix:
        return tether
    custom = http.app

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with tether.router.lifespan_context(tether):
            if custom is None:
                yield
            else:
                async with custom.router.lifespan_context(custom):
                    yield

    inner: ASGIApp = tether if custom is None else ProjectRoutesFirst(custom, tether)
    return Starlette(routes=[Mount(http.mount_prefix, app=inner)], lifespan=lifespan)


class ProjectRoutesFirst:
    """Sends a request to the project's app when one of its routes matches it fully (path
    and method), else to Tether's: the project's routes take precedence."""

    def __init__(self, project_app: Any, tether: ASGIApp) -> None:
        self.project_app = project_app
        self.tether = tether

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for route in self.project_app.routes:
                match, _ = route.matches(scope)
                if match is Match.FULL:
                    await self.project_app(scope, receive, send)
                    return
        await self.tether(scope, receive, send)
