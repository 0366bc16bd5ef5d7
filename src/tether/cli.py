"""The `tether` command: `tether dev`, `tether serve`, `tether worker`, `tether migrate`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tether import __version__
from tether.settings import Settings, SettingsError

if TYPE_CHECKING:
    from tether.graphs import Project


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
        (
            "dev",
            "serve the API and run the graphs in one process (SQLite; nothing else to start);"
            " restart it when the project's code changes",
        ),
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
            "--allowed-hosts",
            help="Host names the server answers besides loopback names, IP addresses and"
            " --host, comma-separated; * answers any (env TETHER_ALLOWED_HOSTS)",
        )
        sub.add_argument(
            "--max-body-bytes",
            type=int,
            help="larger request bodies get 413 (env TETHER_MAX_BODY_BYTES; default 16 MiB)",
        )
        sub.add_argument(
            "--workers",
            type=int,
            help="runs this process executes at once; 0 serves the API only"
            " (env TETHER_WORKERS; default 16)",
        )
        if name == "dev":
            sub.add_argument(
                "--reload",
                action=argparse.BooleanOptionalAction,
                help="restart the server when a Python file of the project (the folder of"
                " langgraph.json and its local dependencies), langgraph.json or its env file"
                " changes; runs in flight resume on the new server (env TETHER_RELOAD;"
                " default on)",
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
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics at http://HOST:PORT/metrics (env TETHER_METRICS_PORT;"
        " default: not served)",
    )
    _runs(worker)
    migrate = commands.add_parser(
        "migrate", help="create or upgrade the database schema, then exit"
    )
    _common(migrate)
    return parser


async def _work(settings: Settings, project: Project) -> None:
    """`tether worker`: claim and execute runs until SIGTERM or SIGINT, then stop claiming,
    give running runs `shutdown_grace_seconds` to finish and hand the rest back."""
    from tether.runtime import Runtime

    runtime = await Runtime.start(settings, workers=True, project=project)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"tether: worker running up to {settings.workers} runs at once"
        f" (graphs: {', '.join(runtime.registry.graph_ids)})",
        flush=True,
    )
    if settings.metrics_port:
        port = runtime.metrics.serve(settings.host, settings.metrics_port)
        print(f"tether: metrics at http://{settings.host}:{port}/metrics", flush=True)
    try:
        await stop.wait()
    finally:
        runtime.metrics.close()
        await runtime.stop()


async def _open_and_close(settings: Settings) -> None:
    """Open the storage once (migrating it when asked): a clear message now beats a
    traceback from the server's startup."""
    from tether.backends import open_backend

    backend = await open_backend(settings)
    await backend.close()


def _settings(args: argparse.Namespace) -> Settings:
    """Flags over `TETHER_*` variables over defaults."""
    return Settings.from_env(
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
        reload=getattr(args, "reload", None),
        metrics_port=getattr(args, "metrics_port", None),
        allowed_hosts=getattr(args, "allowed_hosts", None),
        max_body_bytes=getattr(args, "max_body_bytes", None),
    )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        raise SystemExit(f"tether: {exc}") from None
    if args.command == "dev":
        settings = replace(settings, shutdown_grace_seconds=0.0)  # a restart resumes them
    # Imported once the arguments are read: `--help` needs none of this.
    from tether.backends import StorageUnavailable
    from tether.graphs import GraphConfigError, read_config, read_project
    from tether.server import bind, configure_logging, serve

    configure_logging(settings)

    try:
        if args.command == "migrate":
            asyncio.run(_open_and_close(settings))
            print("tether: database is up to date")
        elif args.command == "dev" and settings.reload:
            from tether.reload import Supervisor

            # The server runs (and imports the project) in a child process, restarted on
            # every change; this process only reads langgraph.json.
            config = read_config(settings.config)
            asyncio.run(_open_and_close(settings))
            sock = bind(settings.host, settings.port)
            sys.exit(Supervisor(settings, config, sock).run())
        else:
            project = read_project(settings.config)
            asyncio.run(_open_and_close(settings))
            if args.command == "worker":
                asyncio.run(_work(settings, project))
            else:
                sock = bind(settings.host, settings.port)
                # Ctrl-C is how a developer stops the server: uvicorn shuts down gracefully,
                # then raises the signal again for its caller. Stopping as asked is a success.
                with contextlib.suppress(KeyboardInterrupt):
                    serve(
                        settings,
                        project,
                        sock,
                        announce="banner" if args.command == "dev" else "listening",
                    )
    except (GraphConfigError, StorageUnavailable) as exc:
        raise SystemExit(f"tether: {exc}") from None


if __name__ == "__main__":
    main()
