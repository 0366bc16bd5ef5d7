"""A deployment of several Tether processes on one PostgreSQL database and one Redis."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from conftest import PostgresDatabase, ServerProcess, free_port


@dataclass
class RedisServer:
    """A Redis of the test's own, so that it can be killed and restarted."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    #: More redis-server options (a password, TLS, a unix socket).
    options: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed (.ci/run installs it)"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                # Listening (a password or TLS would make a PING fail).
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def _postgres_binary(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl): Debian keeps them out of PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    assert found[-1], f"{name} is needed (PostgreSQL's server package; .ci/run has it)"
    return found[-1]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of the test's own, so that it can be stopped and started
    (the machine's own is shared by every test). Its files are in a folder of its own
    under the system's temporary folder: the server runs as `postgres` when the tests
    run as root (it refuses root)."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tether-pg-")))

    def _run(self, program: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_postgres, _postgres_binary(program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            "initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options,
            "-l", str(self.folder / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: every session is ended, as in a restart or a failover."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Deployment:
    """API processes (`tether serve --workers 0`) and workers (`tether worker`) sharing
    one database and one Redis."""

    folder: Path
    database: PostgresDatabase
    redis_url: str
    settings: dict[str, str] = field(default_factory=dict)
    processes: list[ServerProcess] = field(default_factory=list)

    def _process(self, command: str, args: list[str]) -> ServerProcess:
        process = ServerProcess(
            self.folder / f"{command}-{len(self.processes)}", command=command, args=args
        )
        process.env.update(self.database.env)
        process.env.update({"TETHER_REDIS_URL": self.redis_url, **self.settings})
        process.start()
        self.processes.append(process)
        return process

    def api(self) -> ServerProcess:
        return self._process("serve", ["--workers", "0"])

    def worker(self) -> ServerProcess:
        return self._process("worker", [])

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database.url, autocommit=True) as conn:
            cur = conn.execute(query, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def deployment(tmp_path: Path, postgres_database: PostgresDatabase) -> Iterator[Deployment]:
    made = Deployment(tmp_path, postgres_database, postgres_database.redis_url)
    yield made
    for process in reversed(made.processes):
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.create()
    yield server
    server.remove()
