"""Shared fixtures: a real Tether server (uvicorn in a subprocess, ephemeral port, its own
SQLite folder) serving the bundled example graphs."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
import pytest
from starlette.testclient import TestClient

if TYPE_CHECKING:
    from tether.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "langgraph.json"


def wait_until(condition: Callable[[], object], what: str, within: float = 30.0) -> None:
    """Poll `condition` until it is true; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_for_ticks(client: Any, thread_id: str, run_id: str, count: int) -> None:
    """Wait until a run has emitted `count` `custom` events (read from its log's start on
    a join that is then left; the run goes on): a run that is under way, not just claimed."""
    parts = client.runs.join_stream(thread_id, run_id, last_event_id="0", stream_mode="custom")
    seen = 0
    try:
        for part in parts:
            seen += part.event == "custom"
            if seen >= count:
                return
    finally:
        parts.close()
    raise AssertionError(f"the run ended after {seen} custom events, not {count}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A `tether dev` process (or `serve`, or a `worker` with no HTTP); restartable on the
    same port and data folder."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    #: The project's langgraph.json.
    config: Path = EXAMPLES
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    command: str = "dev"
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log_path = self.data_dir / f"server-{time.monotonic_ns()}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        http = [] if self.command == "worker" else ["--port", str(self.port)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tether",
                self.command,
                "--config",
                str(self.config),
                *http,
                "--data-dir",
                str(self.data_dir),
                "--log-level",
                "warning",
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # One process, the server itself, unless a test asks for `dev`'s reloader: `kill()`
            # is a crash of the server, and no test server restarts when a file changes.
            env={**os.environ, "TETHER_RELOAD": "false", **self.env},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tether exited with {self.process.returncode}:\n{self.log()}")
            if self.command == "worker":
                if "tether: worker running" in self.log():
                    return
                time.sleep(0.05)
                continue
            try:
                if httpx.get(f"{self.url}/ok", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        log = self.log()
        self.stop()  # never leave a server behind
        raise RuntimeError(f"tether did not start in {timeout}s:\n{log}")

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace")
            if self.log_path and self.log_path.exists()
            else ""
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stored_run_status(self, run_id: str) -> str | None:
        """The run's status as its storage holds it (read directly, not via the API)."""
        url = self.env.get("TETHER_DATABASE_URL")
        if url:
            with psycopg.connect(url) as conn:
                row = conn.execute(
                    "SELECT status FROM runs WHERE run_id = %s", (run_id,)
                ).fetchone()
        else:
            with contextlib.closing(sqlite3.connect(self.data_dir / "tether.sqlite")) as db:
                row = db.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else str(row[0])

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None


#: The storage backends every server test runs against.
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Which backend the server fixtures use (each server test runs once per backend)."""
    return str(request.param)


@contextlib.contextmanager
def started_on_backend(
    server: ServerProcess,
    backend_name: str,
    request: pytest.FixtureRequest,
    *,
    timeout: float = 60.0,
) -> Iterator[ServerProcess]:
    """`server` started on the session's backend (with PostgreSQL, on a database of its own,
    copied from the migrated template); stopped, and its database dropped, afterwards."""
    database = None
    if backend_name == "postgres":
        database = _new_database(request.getfixturevalue("postgres_template"))
        server.env.update(database.env)
    try:
        server.start(timeout=timeout)
        yield server
    finally:
        server.stop()
        if database is not None:
            _admin(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")


@pytest.fixture(scope="session")
def tether_server(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("tether-data"))
    with started_on_backend(server, backend_name, request) as started:
        yield started


@pytest.fixture(scope="session")
def tether_url(tether_server: ServerProcess) -> str:
    """Base URL of a running Tether server with the bundled example graphs."""
    return tether_server.url


@pytest.fixture
def fresh_server(
    tmp_path: Path, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """A server of this test's own (for crash, restart and settings tests), on a
    database of its own."""
    server = ServerProcess(tmp_path / "data")
    if backend_name == "postgres":
        server.env.update(request.getfixturevalue("postgres_database").env)
    yield server
    server.stop()


# -- PostgreSQL + Redis -------------------------------------------------------------------

#: The machine's PostgreSQL and Redis (`.ci/run` starts them); tests make their own
#: databases and key prefixes, so runs never collide.
POSTGRES_ADMIN_URL = os.environ.get(
    "TETHER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TETHER_TEST_REDIS", "redis://127.0.0.1:6379/0")


def postgres_url(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def _admin(statement: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated once per test session, copied for each test that needs one."""
    import asyncio

    from tether.backends.postgres import migrate_all
    from tether.backends.postgres.database import open_pool

    name = f"tether_template_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")

    async def build() -> None:
        pool = await open_pool(postgres_url(name), min_size=1, max_size=2)
        try:
            await migrate_all(pool)
        finally:
            await pool.close()

    # In a thread of its own: the first test to need it may already run an event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, build()).result()
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclass
class PostgresDatabase:
    """A database of one test's own, and a Redis key prefix of its own."""

    name: str
    url: str
    redis_prefix: str
    redis_url: str = REDIS_URL

    @property
    def env(self) -> dict[str, str]:
        return {
            "TETHER_DATABASE_URL": self.url,
            "TETHER_REDIS_URL": self.redis_url,
            "TETHER_REDIS_PREFIX": self.redis_prefix,
            # Several test servers share the machine's PostgreSQL (100 connections by default).
            "TETHER_DATABASE_POOL_SIZE": "6",
        }

    def settings(self, **extra: Any) -> Settings:
        """Settings of an in-process backend on this database and prefix."""
        from tether.settings import Settings

        return Settings(
            database_url=self.url,
            redis_url=self.redis_url,
            redis_prefix=self.redis_prefix,
            **extra,
        )


def _new_database(template: str) -> PostgresDatabase:
    name = f"tether_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return PostgresDatabase(name, postgres_url(name), f"tether-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def postgres_database(postgres_template: str) -> Iterator[PostgresDatabase]:
    database = _new_database(postgres_template)
    yield database
    _admin(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")


# -- In-process app ------------------------------------------------------------------------


@pytest.fixture
def make_app_client(
    tmp_path: Path, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., TestClient]]:
    """Starts the app in this process (lifespan included) on this test's own storage:
    `make_app_client(config=..., **settings)` returns a started `TestClient` whose requests
    name the server `127.0.0.1`; all are stopped at the end of the test. Each app has a data
    folder of its own; with PostgreSQL all share the test's database."""
    from tether.api.app import create_app
    from tether.settings import Settings

    storage: dict[str, object] = {}
    if backend_name == "postgres":
        database = request.getfixturevalue("postgres_database")
        storage.update(
            database_url=database.url,
            redis_url=database.redis_url,
            redis_prefix=database.redis_prefix,
            database_pool_size=4,
        )
    with contextlib.ExitStack() as stack:

        def make(config: Path = EXAMPLES, **overrides: object) -> TestClient:
            # A data folder per app: SQLite takes one process (here: one app) per folder.
            data_dir = tmp_path / f"data-{len(stack._exit_callbacks)}"
            options = {"config": config, "workers": 2, "data_dir": data_dir, **storage}
            settings = Settings(**{**options, **overrides})  # type: ignore[arg-type]
            client = TestClient(
                create_app(settings), base_url="http://127.0.0.1", raise_server_exceptions=False
            )
            return stack.enter_context(client)

        yield make


@pytest.fixture
def app_client(make_app_client: Callable[..., TestClient]) -> TestClient:
    """The app on the example graphs, in this process (see `make_app_client`)."""
    return make_app_client()
