"""Routes: /ok, /info, /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from tether import __version__
from tether.api.responses import json_response, runtime_of
from tether.errors import TetherError
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
    lines = [
        "# HELP tether_runs_pending Runs waiting to be claimed.",
        "# TYPE tether_runs_pending gauge",
        f"tether_runs_pending {stats.pending}",
        "# HELP tether_runs_running Runs being executed.",
        "# TYPE tether_runs_running gauge",
        f"tether_runs_running {stats.running}",
        "# HELP tether_workers_max Concurrent runs this process executes at most.",
        "# TYPE tether_workers_max gauge",
        f"tether_workers_max {capacity}",
        "# HELP tether_workers_active Runs this process is executing now.",
        "# TYPE tether_workers_active gauge",
        f"tether_workers_active {active}",
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
