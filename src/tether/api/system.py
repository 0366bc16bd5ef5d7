"""Routes: /ok, /info, /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether import __version__
from tether.api.responses import json_response, runtime_of
from tether.errors import TetherError
from tether.metrics import CONTENT_TYPE
from tether.services.run_config import LANGGRAPH_VERSION

router = APIRouter(tags=["System"])


@router.get("/ok")
async def ok(request: Request, check_db: int = 0) -> Response:
    if check_db:
        try:
            await runtime_of(request).check_storage()
        except TetherError as exc:
            return json_response({"ok": False, "error": f"storage: {exc.detail}"}, status_code=500)
        except Exception as exc:
            return json_response({"ok": False, "error": f"database: {exc}"}, status_code=500)
    return json_response({"ok": True, "services": {}})


@router.get("/info")
async def info() -> Response:
    return json_response(
        {
            "version": __version__,
            "server": "tether",
            "langgraph_py_version": LANGGRAPH_VERSION,
            "flags": {"assistants": True, "crons": True, "langsmith": False},
            "host": {"kind": "self-hosted", "project_id": None},
        }
    )


@router.get("/metrics")
async def metrics(request: Request, format: str = "prometheus") -> Response:
    """This process's figures (Prometheus text, or `format=json` for the queue and workers,
    as the official server's)."""
    runtime = runtime_of(request)
    stats = await runtime.runs.queue_stats()
    pool = runtime.pool
    active = len(pool.active) if pool else 0
    capacity = pool.capacity if pool else 0
    if format == "json":
        return json_response(
            {
                "queue": {"n_pending": stats.pending, "n_running": stats.running},
                "workers": {"max": capacity, "active": active, "available": capacity - active},
            }
        )
    figures = runtime.metrics
    figures.runs_pending.set(stats.pending)
    figures.runs_running.set(stats.running)
    figures.workers_max.set(capacity)
    figures.workers_active.set(active)
    return Response(figures.exposition(), media_type=CONTENT_TYPE)
