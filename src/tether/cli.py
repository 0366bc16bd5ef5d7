"""The `tether` command: `tether dev`, `tether serve`, `tether worker`, `tether migrate`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

from tether import __version__
from tether.settings import Settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="the project's langgraph.json (env TETHER_CONFIG; default ./langgraph.json)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="where the SQLite files live (env TETHER_DATA_DIR; default ./.tether)",
    )
    parser.add_argument(
        "--database-url",
        help="sqlite:///path, or postgresql://user@host/db to share storage between processes"
        " (env TETHER_DATABASE_URL; default: SQLite in the data folder)",
    )
    parser.add_argument(
        "--redis-url",
        help="redis://host:6379/0, needed with PostgreSQL (env TETHER_REDIS_URL)",
    )
    parser.add_argument(
        "--redis-prefix",
        help="prefix of every Redis key and channel (env TETHER_REDIS_PREFIX; default tether)",
    )


def _runs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--migrate",
        action="store_true",
        default=None,
        help="apply PostgreSQL migrations at start (env TETHER_MIGRATE; SQLite always migrates)",
    )
    parser.add_argument(
        "--log-level", help="debug, info, warning, error (env TETHER_LOG_LEVEL; default info)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tether",
        description="Tether: a self-hosted LangGraph Agent Server. Runs you can join, resume and cancel "
        "from anywhere; every event delivered exactly once.",
    )
    parser.add_argument("--version", action="version", version=f"tether {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("dev", "serve the API and run the graphs in one process (SQLite; nothing else to start)"),
        ("serve", "serve the API and run the graphs (as dev, with one line instead of the banner)"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        sub.add_argument(
            "--host", help="interface to listen on (env TETHER_HOST; default 127.0.0.1)"
        )
        sub.add_argument(
            "--port", type=int, help="port to listen on (env TETHER_PORT; default 2024)"
        )
        sub.add_argument(
            "--workers",
            type=int,
            help="runs this process executes at once; 0 serves the API only"
            " (env TETHER_WORKERS; default 16)",
        )
        _runs(sub)
    text = "run the graphs without serving HTTP (scale-out: PostgreSQL + Redis)"
    worker = commands.add_parser("worker", help=text, description=text)
    _common(worker)
    worker.add_argument(
        "--concurrency",
        type=int,
        help="runs this process executes at once (env TETHER_WORKERS; default 16)",
    )
    _runs(worker)
    migrate = commands.add_parser(
        "migrate", help="create or upgrade the database schema, then exit"
    )
    _common(migrate)
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit(
                f"tether: port {port} on {host} is already in use; choose another with --port"
            ) from None
        raise SystemExit(f"tether: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _storage(settings: Settings) -> str:
    """Where the data lives, for the banner (no password)."""
    if settings.database_url.startswith(("postgresql://", "postgres://")):
        from urllib.parse import urlsplit

        url = urlsplit(settings.database_url)
        return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path} + Redis"
    return str(settings.sqlite_path.parent.resolve())


def _serve(settings: Settings, banner: bool) -> None:
    import uvicorn

    from tether.api.app import create_app
    from tether.graphs import GraphConfigError, read_project

    try:
        project = read_project(settings.config)
    except GraphConfigError as exc:
        raise SystemExit(f"tether: {exc}") from None
    sock = _bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host  # IPv6
    url = f"http://{host}:{port}"
    if banner:
        print(
            f"Tether {__version__}\n"
            f"  API:    {url}\n"
            f"  Docs:   {url}/docs\n"
            f"  Graphs: {', '.join(project.graphs)}\n"
            f"  Data:   {_storage(settings)}",
            flush=True,
        )
    config = uvicorn.Config(
        create_app(settings, workers=settings.workers > 0),
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    app: Any = config.app

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # End open streams at once instead of waiting out the graceful-shutdown timeout.
            runtime = getattr(app.state, "runtime", None)
            if runtime is not None:
                runtime.draining.set()
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and not banner:  # `dev` has said where in its banner
                print(f"tether: listening on {url}", flush=True)

    Server(config).run(sockets=[sock])


async def _work(settings: Settings) -> None:
    """`tether worker`: claim and execute runs until SIGTERM or SIGINT, then stop claiming,
    give running runs `shutdown_grace_seconds` to finish and hand the rest back."""
    from tether.runtime import Runtime

    runtime = await Runtime.start(settings, workers=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"tether: worker running up to {settings.workers} runs at once"
        f" (graphs: {', '.join(runtime.registry.graph_ids)})",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await runtime.stop()


async def _open_and_close(settings: Settings) -> None:
    """Open the storage once (migrating it when asked): a clear message now beats a
    traceback from the server's startup."""
    from tether.backends import open_backend

    backend = await open_backend(settings)
    await backend.close()


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(
        config=args.config,
        data_dir=args.data_dir,
        database_url=args.database_url,
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        migrate=True if args.command == "migrate" else getattr(args, "migrate", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        workers=args.concurrency if args.command == "worker" else getattr(args, "workers", None),
        log_level=getattr(args, "log_level", None),
    )
    if args.command == "dev":
        settings = replace(settings, shutdown_grace_seconds=0.0)  # a restart resumes them
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from tether.backends import StorageUnavailable

    try:
        asyncio.run(_open_and_close(settings))
        if args.command == "migrate":
            print("tether: database is up to date")
        elif args.command == "worker":
            asyncio.run(_work(settings))
        else:
            # Ctrl-C is how a developer stops the server: uvicorn shuts down gracefully, then
            # raises the signal again for its caller. Stopping as asked is a success (exit 0).
            with contextlib.suppress(KeyboardInterrupt):
                _serve(settings, banner=args.command == "dev")
    except StorageUnavailable as exc:
        raise SystemExit(f"tether: {exc}") from None


if __name__ == "__main__":
    main()
