"""Wiring: open the backend, load the graphs, build the services, start the workers;
close everything in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from tether.backends import open_backend
from tether.graphs import GraphRegistry, Project, read_project
from tether.metrics import Metrics
from tether.ports import Backend
from tether.services.assistants import AssistantService
from tether.services.auth import AuthService
from tether.services.crons import CronService
from tether.services.runs import RunService
from tether.services.store import StoreService
from tether.services.streams import StreamService
from tether.services.thread_stream import ThreadStreamService
from tether.services.threads import ThreadService
from tether.services.webhooks import WebhookSender
from tether.settings import Settings
from tether.store_options import sweep_interval_seconds
from tether.tracing import configure as configure_tracing
from tether.worker.executor import RunExecutor
from tether.worker.pool import WorkerPool

log = logging.getLogger("tether")


@dataclass
class Runtime:
    settings: Settings
    backend: Backend
    registry: GraphRegistry
    assistants: AssistantService
    threads: ThreadService
    runs: RunService
    streams: StreamService
    thread_streams: ThreadStreamService
    crons: CronService
    store: StoreService
    #: The project's custom auth (a no-op without one).
    auth: AuthService
    pool: WorkerPool | None
    webhooks: WebhookSender | None
    metrics: Metrics
    started_at: float
    _stack: contextlib.AsyncExitStack
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: Set when the server begins to shut down: open streams end cleanly so clients reconnect.
    draining: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        workers: bool = True,
        recover: bool = True,
        project: Project | None = None,
    ) -> Runtime:
        """Open everything; `project` is the loaded project (default: read `settings.config`)."""
        if project is None:
            project = read_project(settings.config)
        configure_tracing()  # a `tether worker` has no app to do it
        stack = contextlib.AsyncExitStack()
        try:
            backend = await open_backend(settings, project.store)
            stack.push_async_callback(backend.close)
            registry = GraphRegistry(project, backend.checkpointer, backend.store)
            assistants = AssistantService(backend.assistants, registry)
            await assistants.ensure_graph_assistants()
            runs = RunService(
                threads=backend.threads,
                runs=backend.runs,
                events=backend.events,
                signals=backend.signals,
                assistants=assistants,
                retention_seconds=settings.event_retention_seconds,
                webhooks=project.webhooks,
            )
            thread_ttl = project.thread_ttl
            runs.default_thread_ttl = thread_ttl.thread_ttl() if thread_ttl else None
            threads = ThreadService(
                threads=backend.threads,
                events=backend.events,
                checkpoints=backend.checkpoints,
                runs=runs,
                registry=registry,
                default_ttl=runs.default_thread_ttl,
            )
            pool = None
            if recover and backend.single_process:
                # Nobody else uses this storage: runs left running lost their worker.
                for run in await backend.runs.requeue_all_running():
                    log.warning(
                        "run %s was running when the server stopped: queued again", run.run_id
                    )
            crons = CronService(
                crons=backend.crons, threads=backend.threads, signals=backend.signals, runs=runs
            )
            webhooks = None
            metrics = Metrics()
            if workers:
                executor = RunExecutor(backend, registry, settings, metrics=metrics)
                pool = WorkerPool(backend, executor, settings)
                webhooks = WebhookSender(
                    backend.webhooks,
                    worker_id=pool.worker_id,
                    retries=settings.webhook_retries,
                    poll_seconds=settings.poll_seconds,
                    metrics=metrics,
                    settings=runs.webhook_settings,
                )
                executor.webhooks = webhooks
                await webhooks.start()
                stack.push_async_callback(webhooks.close)
                await pool.start()
                stack.push_async_callback(pool.stop)
                await crons.start()
                stack.push_async_callback(crons.stop)
            runtime = cls(
                settings=settings,
                backend=backend,
                registry=registry,
                assistants=assistants,
                threads=threads,
                runs=runs,
                streams=StreamService(
                    runs=backend.runs,
                    threads=backend.threads,
                    events=backend.events,
                    heartbeat_seconds=settings.heartbeat_seconds,
                    metrics=metrics,
                ),
                thread_streams=ThreadStreamService(
                    threads=threads,
                    runs=runs,
                    run_store=backend.runs,
                    events=backend.events,
                    heartbeat_seconds=settings.heartbeat_seconds,
                ),
                crons=crons,
                store=StoreService(backend.store),
                auth=AuthService(
                    project.auth,
                    openapi=(project.raw.get("auth") or {}).get("openapi"),
                    threads=backend.threads,
                    assistants=backend.assistants,
                    crons=backend.crons,
                    runs=backend.runs,
                ),
                pool=pool,
                webhooks=webhooks,
                metrics=metrics,
                started_at=time.time(),
                _stack=stack,
            )
            runtime._tasks.append(
                asyncio.create_task(runtime._purge_loop(), name="tether-retention")
            )
            runtime._tasks.append(
                asyncio.create_task(
                    runtime._store_ttl_loop(sweep_interval_seconds(project.store)),
                    name="tether-store-ttl",
                )
            )
            if thread_ttl and thread_ttl.sweep_interval_minutes:
                runtime._tasks.append(
                    asyncio.create_task(
                        runtime._thread_ttl_loop(thread_ttl.sweep_interval_minutes * 60),
                        name="tether-thread-ttl",
                    )
                )
            stack.callback(lambda: [task.cancel() for task in runtime._tasks])
        except BaseException:
            await stack.aclose()
            raise
        return runtime

    async def _purge_loop(self) -> None:
        """Drop event logs older than the retention period and threads past their TTL."""
        interval = min(60.0, max(1.0, self.settings.event_retention_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.purge_expired()
            except Exception:
                log.exception("retention sweep failed")

    async def _store_ttl_loop(self, interval: float) -> None:
        """Delete expired store items (`store.ttl.sweep_interval_minutes`, default 5)."""
        # langgraph's SQLite and PostgreSQL stores can sweep; BaseStore does not say so.
        sweep = getattr(self.backend.store, "sweep_ttl", None)
        if sweep is None:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                await sweep()
            except Exception:
                log.exception("store TTL sweep failed")

    async def _thread_ttl_loop(self, interval: float) -> None:
        """Threads past their TTL, every `checkpointer.ttl.sweep_interval_minutes`."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.threads.expire()
            except Exception:
                log.exception("thread TTL sweep failed")

    async def purge_expired(self) -> None:
        while await self.backend.events.purge_expired():
            pass
        await self.threads.expire()

    async def check_storage(self) -> None:
        """Raise unless the storage answers and would store a write now."""
        await self.runs.queue_stats()
        if self.backend.health is not None:
            await self.backend.health()

    async def stop(self) -> None:
        await self._stack.aclose()
