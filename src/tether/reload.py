"""`tether dev` restarts its server when the project's code changes.

Two processes. The supervisor (the `tether dev` command itself) binds the listening socket once,
never imports the project, and watches the project's folders (watchfiles). It runs the server in
a child process, a fresh interpreter (`serve_child`) that imports the project anew, gets the
supervisor's resolved settings as `TETHER_*` variables and the listening socket as an inherited
file descriptor.

On a change the supervisor stops the child with SIGTERM, as a process manager stops a server:
runs in flight go back to the queue (`dev` gives them no grace period). It waits until the child
has exited (only then is the SQLite data folder's lock free; a child that does not stop within
`STOP_TIMEOUT_SECONDS` is killed, which recovery also handles) and starts a new child on the same
socket, which resumes those runs. Requests that arrive in between wait in the socket's backlog.

A server that fails to start the first time (a graph that does not import) ends `tether dev`
with its status; after a change, the supervisor says so and waits for the next change. A child
also stops when its supervisor is gone, even killed by SIGKILL: it holds the read end of a pipe
whose write end only the supervisor has, which reads end-of-file then.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType

import watchfiles

from tether.graphs import GraphConfigError, ProjectConfig, read_project
from tether.logs import startup_failure
from tether.server import Announce, configure_logging, serve
from tether.settings import Settings

#: How long a server may take to stop before it is killed.
STOP_TIMEOUT_SECONDS = 10.0
#: How often, at most, the supervisor looks whether its server ended by itself.
_POLL_MILLISECONDS = 300
#: The child's command: a fresh interpreter, so every module of the project is imported anew.
_CHILD = "from tether.reload import serve_child; serve_child()"


class ProjectFilter(watchfiles.PythonFilter):
    """Python files, plus the given files (langgraph.json, its env file); never what
    `watchfiles.DefaultFilter` ignores (caches, virtualenvs, version control, editor files)."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self._files = {str(file) for file in files}

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return path in self._files or super().__call__(change, path)


def watched_paths(config: ProjectConfig) -> tuple[list[Path], list[Path]]:
    """The folders to watch (the project's source folders that exist, none inside another)
    and the non-Python files whose change restarts the server too."""
    files = [config.path.resolve(), *filter(None, [config.env_file])]
    folders: list[Path] = []
    for folder in sorted(config.source_folders, key=lambda p: len(p.parts)):
        if folder.is_dir() and not any(folder.is_relative_to(f) for f in folders):
            folders.append(folder)
    outside = [f for f in files if not any(f.is_relative_to(d) for d in folders) and f.exists()]
    return [*folders, *outside], files


class Supervisor:
    """Runs the server in a child process and restarts it when a watched file changes."""

    def __init__(self, settings: Settings, config: ProjectConfig, sock: socket.socket) -> None:
        self._env = {**os.environ, **settings.to_env()}
        self._sock = sock
        self._root = config.root
        self._paths, files = watched_paths(config)
        self._filter = ProjectFilter(files)
        self._stop = threading.Event()
        self._signal: int | None = None

    def run(self) -> int:
        """Serve until SIGINT (then return 0) or SIGTERM (then end by that signal, as a
        server without the reloader does), or until the first server ends by itself (then
        return its exit status)."""
        handlers = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        # Children read end-of-file on `keepalive` once this process is gone.
        keepalive, held = os.pipe()
        try:
            status = self._supervise(keepalive)
        finally:
            os.close(held)
            os.close(keepalive)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        if self._signal == signal.SIGTERM:
            os.kill(os.getpid(), signal.SIGTERM)
        return status

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self._signal = sig
        self._stop.set()

    def _supervise(self, keepalive: int) -> int:
        server = self._start(keepalive, announce="banner")
        restarted = reported = False
        try:
            for changes in watchfiles.watch(
                *self._paths,
                watch_filter=self._filter,
                stop_event=self._stop,
                rust_timeout=_POLL_MILLISECONDS,
                yield_on_timeout=True,
                ignore_permission_denied=True,
            ):
                if changes:
                    print(f"tether: {self._describe(changes)} changed, restarting", flush=True)
                    _stop(server)
                    if self._stop.is_set():
                        break
                    server = self._start(keepalive, announce="quiet")
                    restarted, reported = True, False
                elif server.poll() is not None and not reported:
                    if not restarted:  # e.g. a graph that does not import: say so and end
                        return server.returncode if server.returncode >= 0 else 1
                    print(
                        f"tether: the server stopped (exit status {server.returncode});"
                        " it starts again when a file changes",
                        flush=True,
                    )
                    reported = True
        finally:
            _stop(server)
        return 0

    def _start(self, keepalive: int, *, announce: Announce) -> subprocess.Popen[bytes]:
        listening = self._sock.fileno()
        return subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(listening), str(keepalive), announce],
            env=self._env,
            pass_fds=(listening, keepalive),
        )

    def _describe(self, changes: set[tuple[watchfiles.Change, str]]) -> str:
        names = sorted({_display(Path(path), self._root) for _, path in changes})
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        return ", ".join(names[:3]) + more


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _display(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        print(
            f"tether: the server did not stop within {STOP_TIMEOUT_SECONDS:g} s; killing it",
            flush=True,
        )
        server.kill()
        server.wait()


def serve_child() -> None:
    """The server process a `Supervisor` starts: `argv` is the listening socket's file
    descriptor, the keepalive pipe's, and what to announce; settings come from `TETHER_*`."""
    listening, keepalive = int(sys.argv[1]), int(sys.argv[2])
    announce: Announce = "banner" if sys.argv[3] == "banner" else "quiet"
    _stop_when_orphaned(keepalive)
    settings = Settings.from_env()
    configure_logging(settings)
    try:
        project = read_project(settings.config)
    except GraphConfigError as exc:
        raise startup_failure(exc, settings.log_format) from None
    sock = socket.socket(fileno=listening)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C also reaches the child: not an error
        serve(settings, project, sock, announce=announce)


def _stop_when_orphaned(keepalive: int) -> None:
    def wait() -> None:
        with contextlib.suppress(OSError):
            os.read(keepalive, 1)  # end-of-file: the supervisor is gone
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait, name="tether-supervisor-watch", daemon=True).start()
