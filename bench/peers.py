"""The open scale-out peers (PostgreSQL + Redis), started on the same PostgreSQL and Redis as
Tether-PG, when they are installed. They are references to measure against, never dependencies:
`bench/run.py --peers lrpg,graphharbor,aegra` uses those found under ``PEERS_DIR``
(``~/.cache/tether-peers`` by default) and skips the others with the reason.

Install them with ``shared/peers/install.sh`` (one venv per peer under ``PEERS_DIR``; Aegra needs a
Python 3.12). This module starts their processes itself, with the environment of the
``shared/peers/<peer>/start.sh`` scripts, but on free ports, in a database of its own, with its own
Redis prefix where the peer has one, and in a throwaway copy of ``examples/`` so every server runs
the same graphs. It stops only the PIDs it started.

- **lrpg**: stock ``langgraph-api`` 0.11.1 on ``langgraph-runtime-pg`` (``uvicorn
  langgraph_api.server:app``). Each API process also runs ``N_JOBS_PER_WORKER`` run slots;
  ``N_JOBS_PER_WORKER=0`` makes one API-only. Its Redis names are fixed (``lg:*``): it gets a Redis
  database of its own (1), pub/sub being server-wide does not matter (channels are per run).
- **graphharbor**: ``graphharbor serve`` (API only) + ``graphharbor worker``.
- **aegra**: ``uvicorn aegra_api.main:app``; each process also runs ``WORKER_COUNT`` worker
  loops (0 makes one API-only).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from official import GRAPHS, QUIET_ENV, free_port

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("lrpg", "graphharbor", "aegra")
#: The peers that can also run split: an API-only process and one executing process.
SPLIT = ("lrpg-split", "aegra-split")
REDIS_DB = {"lrpg": 1, "graphharbor": 2, "aegra": 3}  # as in shared/peers/README.md
#: The Redis server (a database number is appended per peer).
REDIS = os.environ.get("TETHER_BENCH_REDIS", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
SLOTS = 10  # run slots per executing process, as in the peers' notes
_QUIET = {**QUIET_ENV, "LANGSMITH_API_KEY": "", "DO_NOT_TRACK": "1"}


def peers_dir() -> Path:
    return Path(os.environ.get("PEERS_DIR", Path.home() / ".cache" / "tether-peers"))


def missing(peer: str) -> str | None:
    """Why `peer` cannot run here, or None when its venv is installed."""
    peer = peer.removesuffix("-split")
    venv = peers_dir() / peer / "venv"
    if not (venv / "bin" / "python").exists():
        return (
            f"not installed: no {venv} (shared/peers/install.sh"
            f"{'; Aegra needs Python 3.12' if peer == 'aegra' else ''})"
        )
    return None


def versions(peer: str) -> dict[str, str]:
    names = {
        "lrpg": ["langgraph-runtime-pg", "langgraph-api", "langgraph", "langchain-core"],
        "graphharbor": ["graphharbor", "graphharbor-runtime", "langgraph", "langchain-core"],
        "aegra": ["aegra-api", "langgraph", "langchain-core"],
    }[peer]
    code = (
        "import json, importlib.metadata as m, platform;"
        f"print(json.dumps({{**{{p: m.version(p) for p in {names!r}}},"
        " 'python': platform.python_version()}))"
    )
    out = subprocess.run(
        [str(peers_dir() / peer / "venv" / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


@dataclass
class PeerProcess:
    """One process of a peer: an API (``port`` set) or a worker (no HTTP of ours)."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    port: int | None = None
    health: str = "/ok"
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if self.port is None:
            time.sleep(1.0)
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited:\n{self.log()}")
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command} exited:\n{self.log()[-3000:]}")
            try:
                if httpx.get(self.url + self.health, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.command} did not answer in {timeout}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to its own process group (started in a new session), SIGKILL after 15 s."""
        if self.process is not None and self.process.poll() is None:
            pgid = os.getpgid(self.process.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL to the process alone, as in a crash."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None


@dataclass
class PeerLauncher:
    """Builds the processes of one peer deployment: ``api(executes=…)`` and ``worker()``."""

    peer: str
    database_url: str
    label: str  # unique per deployment: Redis prefixes, log names
    app: Path = field(init=False)
    logs: Path = field(init=False)

    def __post_init__(self) -> None:
        self.app = Path(tempfile.mkdtemp(prefix=f"bench-{self.label}-"))
        self.logs = self.app / "logs"
        self.logs.mkdir()
        shutil.copy(GRAPHS, self.app / "graphs.py")
        if self.peer == "graphharbor":
            # GraphHarbor executes the file as a module missing from sys.modules, so the
            # postponed annotations of `graphs.py` (`from __future__ import annotations`) cannot
            # be resolved (NameError: Annotated). A shim imports the same file as a real module.
            (self.app / "graphs.py").rename(self.app / "bench_graphs.py")
            (self.app / "graphs.py").write_text("from bench_graphs import *  # noqa: F403\n")
        graphs = json.loads((ROOT / "examples" / "langgraph.json").read_text())["graphs"]
        (self.app / "langgraph.json").write_text(
            json.dumps({"dependencies": ["."], "graphs": graphs, "env": {}}, indent=2)
        )
        (self.app / "aegra.json").write_text(json.dumps({"graphs": graphs}, indent=2))
        self._graphs = graphs
        self._keys_before = self._redis_keys()

    def _redis_keys(self) -> set[bytes]:
        """The keys this deployment may write: its prefix's, or (lrpg, fixed names) all
        `lg:*` of its Redis database."""
        pattern = "lg:*" if self.peer == "lrpg" else f"{self.label}*"
        client = redis.Redis.from_url(f"{REDIS}/{REDIS_DB[self.peer]}")
        try:
            return set(client.scan_iter(match=pattern, count=1000))
        finally:
            client.close()

    @property
    def venv(self) -> Path:
        return peers_dir() / self.peer / "venv"

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TETHER_", "VIRTUAL_ENV"))}
        env.update(_QUIET)
        redis_url = f"{REDIS}/{REDIS_DB[self.peer]}"
        if self.peer == "lrpg":
            env.update(
                LANGGRAPH_RUNTIME_EDITION="pg",
                DATABASE_URI=self.database_url,
                REDIS_URI=redis_url,
                LG_RUNTIME_PG_AUTO_MIGRATE="false",
                LANGSERVE_GRAPHS=json.dumps(self._graphs),
                LANGGRAPH_WEBHOOKS="{}",
                LANGSMITH_LANGGRAPH_API_VARIANT="local_dev",
                LANGGRAPH_ALLOW_BLOCKING="false",
                ALLOW_PRIVATE_NETWORK="true",
                LANGGRAPH_NO_VERSION_CHECK="true",
            )
        elif self.peer == "graphharbor":
            env.update(
                DATABASE_URI=self.database_url,
                REDIS_URI=redis_url,
                GRAPHHARBOR_REDIS_PREFIX=self.label,
            )
        else:
            env.update(
                DATABASE_URL=self.database_url,
                REDIS_BROKER_ENABLED="true",
                REDIS_URL=redis_url,
                REDIS_CHANNEL_PREFIX=f"{self.label}:run:",
                WORKER_QUEUE_KEY=f"{self.label}:jobs",
                N_JOBS_PER_WORKER=str(SLOTS),
                AEGRA_CONFIG=str(self.app / "aegra.json"),
                AUTH_TYPE="noop",
                RUN_MIGRATIONS_ON_STARTUP="false",
                LOG_LEVEL="WARNING",
                ENV_MODE="LOCAL",
            )
        env.update(extra)
        return env

    def migrate(self) -> None:
        command = {
            "lrpg": [str(self.venv / "bin" / "langgraph-runtime-pg-migrate"), "upgrade"],
            "graphharbor": [str(self.venv / "bin" / "graphharbor"), "migrate", "upgrade"],
            "aegra": [str(self.venv / "bin" / "aegra"), "db", "upgrade"],
        }[self.peer]
        out = subprocess.run(
            command, cwd=self.app, env=self._env({}), capture_output=True, text=True, timeout=300
        )
        if out.returncode != 0:
            raise RuntimeError(f"{self.peer} migration failed:\n{out.stdout}\n{out.stderr}")

    def api(self, executes: bool) -> PeerProcess:
        """An API process; with ``executes`` it also runs graphs where the peer does that
        in its API processes (lrpg, Aegra). GraphHarbor's API never executes runs."""
        port = free_port()
        log = self.logs / f"api-{port}.log"
        if self.peer == "lrpg":
            env = self._env(
                {
                    "N_JOBS_PER_WORKER": str(SLOTS if executes else 0),
                    "LANGGRAPH_API_URL": f"http://127.0.0.1:{port}",
                }
            )
            command = [str(self.venv / "bin" / "uvicorn"), "langgraph_api.server:app"]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            command += ["--no-access-log", "--log-level", "warning"]
            return PeerProcess(command, env, self.app, log, port)
        if self.peer == "graphharbor":
            command = [str(self.venv / "bin" / "graphharbor"), "serve", "--host", "127.0.0.1"]
            command += ["--port", str(port), "-c", "langgraph.json"]
            command += ["--server-log-level", "WARNING"]
            return PeerProcess(command, self._env({}), self.app, log, port)
        env = self._env(
            {"WORKER_COUNT": "3" if executes else "0", "PORT": str(port), "HOST": "127.0.0.1"}
        )
        command = [str(self.venv / "bin" / "python"), "-m", "uvicorn", "aegra_api.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        command += ["--no-access-log", "--log-level", "warning"]
        return PeerProcess(command, env, self.app, log, port, health="/health")

    def worker(self) -> PeerProcess:
        """A process that executes runs. lrpg and Aegra have no worker command: their
        worker is an API process with run slots (its HTTP is not used)."""
        if self.peer == "graphharbor":
            n = len(list(self.logs.glob("worker-*.log")))
            command = [str(self.venv / "bin" / "graphharbor"), "worker"]
            command += ["--config", "langgraph.json", "--n-jobs-per-worker", str(SLOTS)]
            return PeerProcess(command, self._env({}), self.app, self.logs / f"worker-{n}.log")
        return self.api(executes=True)

    def cleanup(self) -> None:
        """Remove the app copy and the Redis keys the deployment left (lrpg leaves the streams
        of runs whose worker was killed without an expiry)."""
        shutil.rmtree(self.app, ignore_errors=True)
        left = self._redis_keys() - self._keys_before
        if left:
            client = redis.Redis.from_url(f"{REDIS}/{REDIS_DB[self.peer]}")
            try:
                client.delete(*left)
            finally:
                client.close()
