"""The `tether` command: `tether dev`, `tether serve`, `tether worker`, `tether migrate`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn, get_args, get_origin

from pydantic import ValidationError

from tether import __version__
from tether.settings import Settings, SettingsError, allowed, default_text, describe, variable
from tether.settings import flags as settings_flags

if TYPE_CHECKING:
    from tether.graphs import Project


def _add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """The flags of `command`, generated from the settings' fields (`tether.settings.Flag`)."""
    for name, field in Settings.model_fields.items():
        for flag in settings_flags(name):
            if command not in flag.commands:
                continue
            choices = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
            about = [f"env {variable(name)}"]
            if allowed(name) and field.annotation is not bool and not choices:
                about.insert(0, allowed(name))
            if default_text(name):
                about.append(f"default {default_text(name)}")
            # argparse formats help with %: a literal one is written %%.
            help = f"{describe(name)} ({'; '.join(about)})".replace("%", "%%")
            if field.annotation is bool:
                action: Any = argparse.BooleanOptionalAction if field.default else "store_true"
                parser.add_argument(flag.name, dest=name, action=action, default=None, help=help)
                continue
            parser.add_argument(
                flag.name,
                dest=name,
                type=_parse(name),
                default=None,
                metavar="{" + ",".join(choices) + "}"
                if choices
                else flag.name[2:].replace("-", "_").upper(),
                help=help,
            )


def _parse(name: str) -> Callable[[str], Any]:
    """A flag's value checked as its setting's: a bad one is argparse's usage error (exit 2)."""

    def parse(text: str) -> Any:
        try:
            return getattr(Settings.model_validate({name: text}), name)
        except ValidationError:
            raise argparse.ArgumentTypeError(f"must be {allowed(name)}, not {text!r}") from None

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad flag told in two lines instead of the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n(`{self.prog} --help` lists the flags)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        _add_flags(commands.add_parser(name, help=text, description=text), name)
    text = "run the graphs without serving HTTP (scale-out: PostgreSQL + Redis)"
    _add_flags(commands.add_parser("worker", help=text, description=text), "worker")
    text = "create or upgrade the database schema, then exit"
    _add_flags(commands.add_parser("migrate", help=text, description=text), "migrate")
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
    """Flags over `TETHER_*` variables over `.env` over defaults."""
    given = {name: getattr(args, name, None) for name in Settings.model_fields}
    if args.command == "migrate":
        given["migrate"] = True
    return Settings.from_env(**given)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        raise SystemExit("\n".join(f"tether: {line}" for line in str(exc).splitlines())) from None
    if args.command == "dev":
        # A restart resumes them.
        settings = settings.model_copy(update={"shutdown_grace_seconds": 0.0})
    # Imported once the arguments are read: `--help` needs none of this.
    from tether.backends import StorageUnavailable
    from tether.graphs import GraphConfigError, read_config, read_project
    from tether.logs import startup_failure
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
        raise startup_failure(exc, settings.log_format) from None


if __name__ == "__main__":
    main()
