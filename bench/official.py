"""The official LangGraph dev server (`langgraph dev`, in-memory runtime) as a reference.

It lives in its own virtual environment, ``bench/.venv-official``, built on first use with the
standard library's ``venv`` and ``pip`` from PyPI, pinned to the versions the reference notes were
observed with. It serves the same ``examples/graphs.py`` as Tether: a temporary app folder holds a
copy of that file and a ``langgraph.json`` naming its graphs. ``OfficialServer(project=folder)``
serves another project instead: the folder's files (its ``langgraph.json`` among them) are copied
into the app folder.

Used by ``bench/run.py`` and by the differential tests (``tests/differential``)::

    with OfficialServer() as server:
        httpx.get(f"{server.url}/ok")

Run by hand: ``uv run python bench/official.py [--port N]`` starts it and waits for Ctrl-C.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ROOT / "examples" / "graphs.py"
VENV = ROOT / "bench" / ".venv-official"

# Pinned to the versions of shared/reference/official-server-wire.md. langgraph-cli alone would let
# pip pick the newest langgraph-api, so the runtime packages are pinned too.
PACKAGES = [
    "langgraph-cli[inmem]==0.4.40",
    "langgraph-api==0.16.7",
    "langgraph-runtime-inmem==0.36.7",
    "langgraph==1.2.24",
    "langgraph-sdk==0.4.14",
    "langchain-core==1.8.3",
]
GRAPH_NAMES = ["agent", "chat", "hitl", "nested", "trivial", "firehose", "ticker", "context"]
QUIET_ENV = {
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "PYTHONUNBUFFERED": "1",
}
_STAMP = VENV / ".tether-packages.json"


def free_port() -> int:
    """An ephemeral port that is free right now (2024 is taken on these machines)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_venv(python: str | None = None, quiet: bool = True) -> Path:
    """Create (or reuse) ``bench/.venv-official`` with the pinned packages; return its ``langgraph``.

    Reused when the stamp file lists exactly ``PACKAGES``; otherwise rebuilt from scratch. Several
    processes may ask at once (the test suite's workers): one builds, the others wait for it.
    """
    langgraph = _venv_bin("langgraph")
    if _ready():
        return langgraph
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.with_name(VENV.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _ready():  # built by another process meanwhile
            return langgraph
        if VENV.exists():
            shutil.rmtree(VENV)
        subprocess.run([python or sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(_venv_bin("python")), "-m", "pip", "--disable-pip-version-check"]
        if quiet:
            pip.append("-q")
        subprocess.run([*pip, "install", *PACKAGES], check=True)
        _STAMP.write_text(json.dumps(PACKAGES))
    return langgraph


def _ready() -> bool:
    if not (_venv_bin("langgraph").exists() and _STAMP.exists()):
        return False
    try:
        return bool(json.loads(_STAMP.read_text()) == PACKAGES)
    except ValueError:
        return False


def official_versions() -> dict[str, str]:
    """Installed versions of the official server's packages (from the venv's metadata)."""
    code = (
        "import json, importlib.metadata as m;"
        "print(json.dumps({p: m.version(p) for p in "
        "['langgraph-cli','langgraph-api','langgraph-runtime-inmem','langgraph','langchain-core']}))"
    )
    out = subprocess.run(
        [str(_venv_bin("python")), "-c", code], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


class OfficialServer:
    """``langgraph dev`` on a free loopback port, in a throwaway app folder; stop() ends it by PID."""

    def __init__(
        self,
        port: int | None = None,
        n_jobs_per_worker: int | None = None,
        env: dict[str, str] | None = None,
        project: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        #: A project folder of its own (its langgraph.json and files, copied), instead of the
        #: bundled example graphs.
        self.project = project
        self.n_jobs_per_worker = n_jobs_per_worker
        self.env = env or {}
        self.app_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _write_app(self) -> Path:
        app = Path(tempfile.mkdtemp(prefix="official-app-"))
        if self.project is not None:
            for path in self.project.iterdir():
                if path.is_file():
                    shutil.copy(path, app / path.name)
            return app
        shutil.copy(
            GRAPHS, app / "graphs.py"
        )  # the same file, copied so `dependencies: ["."]` works
        config = {
            "dependencies": ["."],
            "graphs": {name: f"./graphs.py:{name}" for name in GRAPH_NAMES},
            "env": {},
        }
        (app / "langgraph.json").write_text(json.dumps(config, indent=2))
        return app

    def start(self, timeout: float = 60.0) -> None:
        langgraph = ensure_venv()
        self.app_dir = self._write_app()
        shutil.rmtree(self.app_dir / ".langgraph_api", ignore_errors=True)  # its pickled state
        self.log_path = self.app_dir / "server.log"
        command = [
            str(langgraph),
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if self.n_jobs_per_worker:
            command += ["--n-jobs-per-worker", str(self.n_jobs_per_worker)]
        env = {**os.environ, **QUIET_ENV, **self.env}
        env.pop("VIRTUAL_ENV", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.app_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"langgraph dev exited with {self.process.returncode}:\n{self.log()}"
                )
            # It silently moves to a random port when ours is busy: insist on ours.
            if "already in use" in self.log():
                self.stop()
                raise RuntimeError(f"port {self.port} was busy; langgraph dev moved elsewhere")
            try:
                if httpx.get(f"{self.url}/ok", timeout=1.0).status_code == 200:
                    info = httpx.get(f"{self.url}/info", timeout=2.0).json()
                    if "langgraph_py_version" not in info:  # not the official server on our port
                        raise RuntimeError(f"unexpected /info on {self.url}: {info}")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"langgraph dev did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self) -> None:
        """SIGTERM to the server's own process group (it was started in a new session), then wait."""
        if self.process is not None and self.process.poll() is None:
            pgid = os.getpgid(self.process.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        if self.app_dir is not None:
            shutil.rmtree(self.app_dir, ignore_errors=True)
            self.app_dir = None

    def __enter__(self) -> OfficialServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--setup-only", action="store_true", help="build the venv and exit")
    args = parser.parse_args()
    ensure_venv(quiet=False)
    print(json.dumps(official_versions()))
    if args.setup_only:
        return
    with OfficialServer(port=args.port) as server:
        print(f"official server on {server.url} (pid {server.pid}); Ctrl-C to stop", flush=True)
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
