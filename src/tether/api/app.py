"""The ASGI application: lifespan owns the runtime; errors become `{"detail": ...}`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tether import __version__
from tether.api import assistants, crons, guards, runs, store, system, threads
from tether.api.responses import json_response
from tether.api.schemas import TooDeep
from tether.errors import TetherError
from tether.graphs import (
    GraphConfigError,
    HttpSettings,
    Project,
    read_config,
    read_http_settings,
)
from tether.runtime import Runtime
from tether.settings import Settings

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


def _http_settings(settings: Settings, project: Project | None) -> HttpSettings:
    try:
        return read_http_settings(project.raw if project else read_config(settings.config).raw)
    except GraphConfigError:
        return HttpSettings()  # the lifespan reports it


def create_app(
    settings: Settings | None = None, *, workers: bool = True, project: Project | None = None
) -> FastAPI:
    """The app; its lifespan starts the runtime on `project` (default: read `settings.config`)."""
    settings = settings or Settings.from_env()

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
    app = FastAPIOffline(
        static_url=DOCS_ASSETS_URL,
        swagger_ui_parameters={"validatorUrl": None},
        title="Tether",
        version=__version__,
        description="A self-hosted LangGraph Agent Server: durable runs you can join, resume and cancel.",
        lifespan=lifespan,
    )
    guards.install(app, settings, _http_settings(settings, project))

    @app.exception_handler(TetherError)
    async def tether_error(request: Request, exc: TetherError) -> Response:
        return json_response({"detail": exc.detail}, status_code=exc.status_code)

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

    for module in (system, assistants, threads, runs, crons, store):
        # Added to the app's own router: FastAPI matches included routers per request at a
        # measurable cost (~90 µs a request).
        app.router.routes.extend(module.router.routes)
    return app
