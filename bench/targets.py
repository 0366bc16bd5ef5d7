"""The servers under test ("targets"), each a deployment the bench starts, measures and stops
(and may start again in the next round).

| target | processes |
|---|---|
| official | `langgraph dev` (in-memory runtime), one process |
| tether | `tether dev`: one process, SQLite, 16 in-process run slots |
| tether-pg | `tether serve --workers 0` (API) + 1 `tether worker` (16 slots), PostgreSQL + Redis |
| tether-pg-2w | the same with 2 workers |
| lrpg, graphharbor, aegra | the open peers in their usual shape (`bench/peers.py`), opt-in |

Every PostgreSQL deployment gets a database of its own (`tether_bench_<run>_<target>`, created on
the `postgres` database and dropped WITH (FORCE) at the end) and a Redis prefix of its own. A
target also says how to kill the worker executing a run (`killer()`), or why it cannot
(`no_killer`): a one-process server has no worker to kill but its API.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from official import OfficialServer
from peers import PeerLauncher, PeerProcess

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import ServerProcess  # noqa: E402  (the test suite's Tether launcher, reused)

POSTGRES = os.environ.get("TETHER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TETHER_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def database_url(name: str) -> str:
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


def create_database(name: str) -> str:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Killer:
    """Kills the worker process executing a run, on a deployment with two workers or more.

    `pin()` is called before the run is created and may return the PID that will claim it
    (peers: every other worker is paused with SIGSTOP, so the run lands on a known one);
    `release()` resumes the paused ones; `executing_pid(run_id)` says who runs it."""

    url: str

    def __enter__(self) -> Killer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def pin(self) -> int | None:
        return None

    def release(self) -> None:
        pass

    def executing_pid(self, run_id: str) -> int | None:
        raise NotImplementedError

    def lease_left(self, run_id: str) -> float | None:
        """Seconds left on the run's lease (read just before the kill), where there is one."""
        return None

    def kill(self, pid: int) -> None:
        raise NotImplementedError

    @property
    def method(self) -> str:
        raise NotImplementedError


class Target:
    name: str
    url: str
    #: Why `killer()` returns None (a one-process server).
    no_killer = "one process: a kill -9 takes its API with it"

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def pids(self) -> list[int]:
        """Every process of the deployment (memory is summed over them and their children)."""
        raise NotImplementedError

    def killer(self) -> Killer | None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "pids": self.pids()}


class Official(Target):
    name = "official"

    def __init__(self) -> None:
        self.server = OfficialServer()

    def start(self) -> None:
        self.server.start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def pids(self) -> list[int]:
        return [self.server.pid]


class TetherEmbedded(Target):
    name = "tether"

    def start(self) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="tether-bench-"))
        self.server = ServerProcess(self.data)
        self.server.start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def pids(self) -> list[int]:
        assert self.server.process is not None
        return [self.server.process.pid]


class TetherScaleOut(Target):
    """`tether serve --workers 0` + n `tether worker` on one database and Redis prefix."""

    def __init__(self, name: str, workers: int, run_tag: str) -> None:
        self.name = name
        self.n_workers = workers
        self.database = f"tether_bench_{run_tag}_{name.replace('-', '_')}"
        self.prefix = f"tether-bench-{run_tag}-{name}"
        self.workers: list[ServerProcess] = []
        self.api: ServerProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "TETHER_DATABASE_URL": database_url(self.database),
            "TETHER_REDIS_URL": REDIS,
            "TETHER_REDIS_PREFIX": self.prefix,
        }

    def start(self) -> None:
        self.data = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        create_database(self.database)
        self.api = ServerProcess(
            self.data / "api", command="serve", args=["--workers", "0", "--migrate"], env=self.env
        )
        self.api.start()
        self.url = self.api.url
        for _ in range(self.n_workers):
            self.add_worker()

    def add_worker(self) -> ServerProcess:
        worker = ServerProcess(
            self.data / f"worker-{len(self.workers)}-{os.urandom(3).hex()}",
            command="worker",
            env=self.env,
        )
        worker.start()
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.workers, self.api]:
            if process is not None:
                process.stop()
        self.workers = []
        with contextlib.suppress(psycopg.Error):
            drop_database(self.database)
        shutil.rmtree(self.data, ignore_errors=True)

    def pids(self) -> list[int]:
        return [p.process.pid for p in [self.api, *self.workers] if p and p.process]

    def killer(self) -> Killer:
        return _TetherKiller(self)


class _TetherKiller(Killer):
    """Finds the executing worker from the run's lease (`lease_owner` = host:pid:nonce); adds a
    worker for the scenario when the deployment has one, and restores the count after."""

    method = "lease_owner of the run in PostgreSQL"
    #: The workers' lease (TETHER_LEASE_SECONDS, inherited from this environment; default 30).
    lease_seconds = float(os.environ.get("TETHER_LEASE_SECONDS", "30"))

    def __init__(self, target: TetherScaleOut) -> None:
        self.target = target
        self.url = target.url
        self.extra = None if len(target.workers) >= 2 else target.add_worker()

    def executing_pid(self, run_id: str) -> int | None:
        with psycopg.connect(database_url(self.target.database)) as conn:
            row = conn.execute(
                "SELECT lease_owner FROM runs WHERE run_id = %s", (run_id,)
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return int(str(row[0]).split(":")[1])

    def lease_left(self, run_id: str) -> float | None:
        with psycopg.connect(database_url(self.target.database)) as conn:
            row = conn.execute(
                "SELECT lease_expires_at - extract(epoch from clock_timestamp()) FROM runs"
                " WHERE run_id = %s",
                (run_id,),
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def kill(self, pid: int) -> None:
        for worker in self.target.workers:
            if worker.process is not None and worker.process.pid == pid:
                worker.kill()
                self.target.workers.remove(worker)
                return
        raise RuntimeError(f"pid {pid} is none of this deployment's workers")

    def close(self) -> None:
        while len(self.target.workers) > self.target.n_workers:
            self.target.workers.pop().stop()
        while len(self.target.workers) < self.target.n_workers:
            self.target.add_worker()


class Peer(Target):
    """An open peer in its usual shape: lrpg and Aegra one process (API + run slots),
    GraphHarbor an API process and a worker process. `split` (lrpg-split, aegra-split): an
    API-only process and one executing process, the shape of tether-pg, where every event
    crosses from one process to the other."""

    def __init__(self, name: str, run_tag: str) -> None:
        self.name = name
        self.peer = name.removesuffix("-split")
        self.split = name.endswith("-split") or self.peer == "graphharbor"
        self.run_tag = run_tag
        self.database = f"tether_bench_{run_tag}_{name.replace('-', '_')}"
        self.processes: list[PeerProcess] = []
        self.launcher: PeerLauncher | None = None

    def start(self) -> None:
        url = create_database(self.database)
        self.launcher = PeerLauncher(self.peer, url, f"bench-{self.run_tag}-{self.name}")
        self.launcher.migrate()
        if self.split:
            worker = self.launcher.worker()
            worker.start()
            self.processes.append(worker)
        api = self.launcher.api(executes=not self.split)
        api.start()
        self.processes.append(api)
        self.url = api.url

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes = []
        if self.launcher is not None:
            self.launcher.cleanup()
        with contextlib.suppress(psycopg.Error):
            drop_database(self.database)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.process is not None]

    def killer(self) -> Killer | None:
        if self.name.endswith("-split"):
            return None  # the base peer's kill deployment is already split: measured there
        return _PeerKiller(self.peer, f"{self.run_tag}_{self.name}")

    @property
    def no_killer(self) -> str:  # type: ignore[override]
        return f"measured on {self.peer} (its killed-worker deployment is split already)"


class _PeerKiller(Killer):
    """A deployment of its own for the scenario: an API-only process and two workers, in a
    database of its own. The run is pinned to one worker by pausing the other (SIGSTOP) until
    the run has started; that worker is the one killed."""

    method = "the other worker paused (SIGSTOP) until the run started"

    def __init__(self, peer: str, run_tag: str) -> None:
        self.database = f"tether_bench_{run_tag}_kill"
        self.launcher = PeerLauncher(
            peer, create_database(self.database), f"bench-{run_tag}-kill".replace("_", "-")
        )
        self.processes: list[PeerProcess] = []
        try:
            self.launcher.migrate()
            api = self.launcher.api(executes=False)
            api.start()
            self.processes.append(api)
            self.url = api.url
            self.workers = [self.launcher.worker(), self.launcher.worker()]
            for worker in self.workers:
                worker.start()
                self.processes.append(worker)
        except BaseException:
            self.close()
            raise
        self._paused: list[int] = []

    def pin(self) -> int | None:
        self._paused = [w.pid for w in self.workers[1:]]
        for pid in self._paused:
            os.kill(pid, signal.SIGSTOP)
        return self.workers[0].pid

    def release(self) -> None:
        for pid in self._paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._paused = []

    def executing_pid(self, run_id: str) -> int | None:
        return self.workers[0].pid

    def kill(self, pid: int) -> None:
        for worker in self.workers:
            if worker.process is not None and worker.pid == pid:
                worker.kill()
                return
        raise RuntimeError(f"pid {pid} is none of this deployment's workers")

    def close(self) -> None:
        self.release()
        for process in self.processes:
            with contextlib.suppress(Exception):
                process.stop()
        self.launcher.cleanup()
        with contextlib.suppress(psycopg.Error):
            drop_database(self.database)


def stale_databases() -> list[str]:
    """Databases a crashed bench run left behind (`tether_bench_*`)."""
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tether\\_bench\\_%'"
        ).fetchall()
    return [r[0] for r in rows]
