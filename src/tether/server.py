"""Serving the HTTP API with uvicorn on a socket bound beforehand (`tether dev` and `serve`).

The socket is bound by the caller, so a taken port is one clear line before anything starts,
and so `tether dev`'s reloader can keep one socket open across the server processes it runs.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any, Literal

from tether import __version__, logs
from tether.graphs import Project
from tether.settings import Settings

#: What a server says once it is about to listen: `tether dev`'s banner, `tether serve`'s one
#: line, or nothing (a server `tether dev` restarted after a change).
Announce = Literal["banner", "listening", "quiet"]


def configure_logging(settings: Settings) -> None:
    """Log at `settings.log_level` to stderr as `settings.log_format` says (`tether.logs`)."""
    logs.configure(settings.log_level, settings.log_format)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port`; a port in use ends the process with one line."""
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
    return sock


def describe_storage(settings: Settings) -> str:
    """Where the data lives, for the banner (no password)."""
    if settings.database_url.startswith(("postgresql://", "postgres://")):
        from urllib.parse import urlsplit

        url = urlsplit(settings.database_url)
        return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path} + Redis"
    return str(settings.sqlite_path.parent.resolve())


def serve(settings: Settings, project: Project, sock: socket.socket, *, announce: Announce) -> None:
    """Serve the API (and run the graphs, unless `settings.workers` is 0) on `sock` until
    SIGINT or SIGTERM; then uvicorn raises that signal again for the caller."""
    import uvicorn

    from tether.api.app import build_app
    from tether.api.guards import exposure_warning

    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host  # IPv6
    url = f"http://{host}:{port}{project.http.mount_prefix}"
    docs = "(off: http.disable_meta)" if "meta" in project.http.disabled else f"{url}/docs"
    if announce == "banner":
        print(
            f"Tether {__version__}\n"
            f"  API:    {url}\n"
            f"  UI:     {url}/ui\n"
            f"  Docs:   {docs}\n"
            f"  Graphs: {', '.join(project.graphs)}\n"
            f"  Data:   {describe_storage(settings)}",
            flush=True,
        )
    if announce != "quiet" and (warning := exposure_warning(settings, project.raw)):
        print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        build_app(settings, workers=settings.workers > 0, project=project),
        log_level=settings.log_level,
        log_config=None,  # uvicorn's records go through `configure_logging`'s handler
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
            if self.started and announce == "listening":
                print(f"tether: listening on {url}", flush=True)

    Server(config).run(sockets=[sock])
