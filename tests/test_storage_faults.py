"""Storage failures are visible: a write that was not stored is never acknowledged, the
health check fails, and the log says which file."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import POSTGRES_ADMIN_URL, PostgresDatabase, ServerProcess, wait_until
from starlette.testclient import TestClient

from tether.backends.sqlite.database import Database
from tether.errors import StorageFailed


@pytest.mark.parametrize("backend_name", ["sqlite"])  # the data folder is SQLite's
def test_a_deleted_data_folder_fails_writes_and_the_health_check(
    make_app_client: Callable[..., TestClient], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_app_client(data_dir=tmp_path / "data")
    assert client.get("/ok", params={"check_db": 1}).json() == {"ok": True, "services": {}}
    thread_id = client.post("/threads", json={}).json()["thread_id"]

    shutil.rmtree(tmp_path / "data")
    with caplog.at_level(logging.ERROR, logger="tether.storage"):
        write = client.post("/threads", json={"metadata": {"lost": True}})
        patch = client.patch(f"/threads/{thread_id}", json={"metadata": {"lost": True}})
        run = client.post(f"/threads/{thread_id}/runs", json={"assistant_id": "trivial"})
        health = client.get("/ok", params={"check_db": 1})

    for response in (write, patch, run):
        assert response.status_code == 503
        assert str(tmp_path / "data" / "tether.sqlite") in response.json()["detail"]
    assert health.status_code == 500 and health.json()["ok"] is False
    assert str(tmp_path / "data") in health.json()["error"]
    assert any(str(tmp_path / "data") in r.getMessage() for r in caplog.records)
    assert client.get("/ok").status_code == 200  # the process itself is alive


def test_a_database_that_refuses_writes_raises_storage_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        db = Database(tmp_path / "tether.sqlite")
        await db.open()
        await db.transaction(lambda conn: conn.execute("CREATE TABLE t (x)"))
        # The same file, opened read-only: what SQLite says on a read-only disk.
        db.conn.close()
        db._conn = sqlite3.connect(
            f"file:{db.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        with pytest.raises(StorageFailed, match="refused a write") as failed:
            await db.transaction(lambda conn: conn.execute("INSERT INTO t VALUES (1)"))
        assert str(db.path) in failed.value.detail and failed.value.status_code == 503
        assert not db.conn.in_transaction
        # A bad statement is a bug, not a storage failure: it stays what it is.
        with pytest.raises(sqlite3.OperationalError):
            await db.transaction(lambda conn: conn.execute("SELECT nope FROM t"))
        await db.close()

    asyncio.run(scenario())


def test_a_graceful_shutdown_tells_wait_clients_instead_of_cutting_the_body(
    fresh_server: ServerProcess,
) -> None:
    fresh_server.env["TETHER_HEARTBEAT_SECONDS"] = "0.2"
    fresh_server.start()
    thread_id = httpx.post(f"{fresh_server.url}/threads", json={}).json()["thread_id"]
    body = b""
    stopping = threading.Thread(target=fresh_server.stop)  # SIGTERM: a graceful shutdown
    with httpx.stream(
        "POST",
        f"{fresh_server.url}/threads/{thread_id}/runs/wait",
        json={"assistant_id": "ticker", "input": {"n_events": 1000, "delay": 0.05}},
        timeout=30,
    ) as response:
        join = response.headers["Location"]
        for chunk in response.iter_raw():
            body += chunk
            if body.startswith(b"\n") and not stopping.is_alive() and stopping.ident is None:
                stopping.start()  # the response is mid-body: padding has been sent
    stopping.join(timeout=30)
    result = json.loads(body)
    assert result["__error__"]["error"] == "ServerShuttingDown"
    assert result["__error__"]["message"].startswith("The server is shutting down; run ")
    assert join in result["__error__"]["message"]
    # The official SDK raises it as `Exception("ServerShuttingDown: ...")`.


def _read_only(database: PostgresDatabase, on: bool) -> None:
    """Make the database take only reads (or writes again), for every session from now on."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            f"ALTER DATABASE {database.name} SET default_transaction_read_only"
            f" = {'on' if on else 'off'}"
        )
        # The setting takes hold in new sessions: end the pool's, it opens new ones. Wait
        # until they are gone: a session still ending would answer "terminating connection".
        ended = [
            pid
            for (pid, _) in admin.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database.name,),
            ).fetchall()
        ]
        wait_until(
            lambda: (
                not admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (ended,)
                ).fetchone()
            ),
            "the terminated sessions to end",
        )


@pytest.mark.parametrize("backend_name", ["postgres"])
def test_a_read_only_postgres_database_fails_the_health_check(
    make_app_client: Callable[..., TestClient], postgres_database: PostgresDatabase
) -> None:
    client = make_app_client()
    assert client.get("/ok", params={"check_db": 1}).status_code == 200
    _read_only(postgres_database, True)
    health = client.get("/ok", params={"check_db": 1})
    assert health.status_code == 500
    assert "read-only" in health.json()["error"]


@pytest.mark.parametrize("backend_name", ["postgres"])
def test_a_write_to_a_read_only_postgres_database_is_a_clear_503(
    make_app_client: Callable[..., TestClient], postgres_database: PostgresDatabase
) -> None:
    client = make_app_client()
    thread = client.post("/threads", json={}).json()["thread_id"]
    _read_only(postgres_database, True)
    refused = client.post("/threads", json={"metadata": {"lost": True}})
    assert refused.status_code == 503
    assert "read-only" in refused.json()["detail"]
    assert "not stored" in refused.json()["detail"]
    # Reads still answer; nothing was half-written.
    assert client.get(f"/threads/{thread}").status_code == 200
    _read_only(postgres_database, False)
    assert client.post("/threads/search", json={"metadata": {"lost": True}}).json() == []
    assert client.post("/threads", json={}).status_code == 200


def test_postgres_errors_that_are_the_storages_fault_become_storage_failed() -> None:
    from psycopg_pool import PoolTimeout

    from tether.backends.postgres.database import storage_failure

    assert storage_failure(PoolTimeout("couldn't get a connection after 30.00 sec"))
    assert storage_failure(psycopg.OperationalError("server closed the connection"))
    assert storage_failure(psycopg.errors.DiskFull("could not extend file"))
    assert storage_failure(psycopg.errors.UniqueViolation("duplicate key")) is None
    assert storage_failure(psycopg.errors.QueryCanceled("canceling statement")) is None


def test_a_run_whose_checkpoint_cannot_be_stored_is_handed_back_not_failed(
    make_app_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint the storage refuses (the database away) is not the graph's failure:
    the run goes back to the queue and its next attempt ends it, instead of the storage's
    error becoming the run's result."""
    client = make_app_client()
    checkpointer = client.app.state.runtime.backend.checkpointer  # type: ignore[attr-defined]
    put = checkpointer.aput
    refused: list[str] = []

    async def refusing_once(config, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not refused:
            refused.append(config["configurable"]["thread_id"])
            raise StorageFailed("lost the connection to PostgreSQL: the server went away")
        return await put(config, *args, **kwargs)

    monkeypatch.setattr(checkpointer, "aput", refusing_once)
    thread_id = client.post("/threads", json={}).json()["thread_id"]
    response = client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "trivial", "input": {}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["counter"] == 1
    assert refused == [thread_id]
    [run] = client.get(f"/threads/{thread_id}/runs").json()
    assert run["status"] == "success"
    stream = client.get(
        f"/threads/{thread_id}/runs/{run['run_id']}/stream", headers={"Last-Event-ID": "0"}
    )
    attempts = [
        json.loads(line[len("data: ") :])["attempt"]
        for line in stream.text.splitlines()
        if line.startswith("data: ") and '"attempt"' in line
    ]
    assert attempts == [1, 2]
    assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"
