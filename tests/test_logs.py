"""Logs: `--log-format text` (the default) or `json`, one JSON object per line; a failed run
logs its whole traceback with the run's, thread's and assistant's ids, uvicorn's lines follow
the same format, and a graph that does not import is one JSON record too."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from conftest import ServerProcess, wait_until

from tether.logs import JsonFormatter, TextFormatter


def _failed_run(server: ServerProcess) -> dict[str, Any]:
    """Run the example `agent` with `fail`, whose step b raises; the run as the API shows it."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        thread = client.post("/threads", json={}).json()
        done = client.post(
            f"/threads/{thread['thread_id']}/runs/wait",
            json={"assistant_id": "agent", "input": {"fail": True}},
        )
        assert done.json()["__error__"]["message"] == "boom from b"
        (run,) = client.get(f"/threads/{thread['thread_id']}/runs").json()
    assert run["status"] == "error"
    return dict(run)


def _start(tmp_path: Path, **env: str) -> ServerProcess:
    # At `info`, so that uvicorn's access lines are written too.
    server = ServerProcess(
        tmp_path / "data", env=env, command="serve", args=["--log-level", "info"]
    )
    server.start()
    return server


def test_json_logs_are_one_object_per_line_with_the_failed_runs_ids_and_traceback(
    tmp_path: Path,
) -> None:
    server = _start(tmp_path, TETHER_LOG_FORMAT="json")
    try:
        run = _failed_run(server)
        wait_until(lambda: '"run failed' in server.log(), "the failed run's log line")
    finally:
        server.stop()

    # stdout (the `listening` line) and stderr (the logs) share the file here.
    lines = [line for line in server.log().splitlines() if not line.startswith("tether: ")]
    records = [json.loads(line) for line in lines]  # every log line is a JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    for record in records:
        assert datetime.fromisoformat(record["time"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert record["time"].endswith("Z")

    (failed,) = [r for r in records if r.get("run_id") == run["run_id"]]
    assert failed["level"] == "warning"
    assert failed["logger"] == "tether.worker"
    assert failed["message"] == "run failed: ValueError('boom from b')"
    assert failed["thread_id"] == run["thread_id"]
    assert failed["assistant_id"] == run["assistant_id"]
    assert failed["graph_id"] == "agent"
    trace = failed["exc_info"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "in step_b" in trace  # the graph's own frame
    assert "\nValueError: boom from b\n" in trace

    # uvicorn's access lines are JSON too, with the request as fields.
    (waited,) = [r for r in records if r.get("path", "").endswith("/runs/wait")]
    assert waited["logger"] == "uvicorn.access"
    assert (waited["method"], waited["status"]) == ("POST", 200)


def test_text_logs_show_the_failed_runs_ids_and_traceback(tmp_path: Path) -> None:
    server = _start(tmp_path)
    try:
        run = _failed_run(server)
        wait_until(lambda: "Traceback" in server.log(), "the failed run's traceback")
    finally:
        server.stop()

    log = server.log()
    ids = f"[run_id={run['run_id']} thread_id={run['thread_id']} assistant_id={run['assistant_id']}"
    (line,) = [line for line in log.splitlines() if ids in line]
    assert " WARNING tether.worker: run failed: ValueError('boom from b') " in line
    after = log[log.index(line) + len(line) :]
    assert after.startswith("\nTraceback (most recent call last):\n")
    assert "in step_b" in after
    assert "ValueError: boom from b" in after
    # uvicorn's access lines are in the same format.
    assert " INFO uvicorn.access: 127.0.0.1:" in log
    assert '/runs/wait HTTP/1.1" 200' in log


def test_a_graph_that_does_not_import_is_one_json_record_with_its_traceback(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "agent.py").write_text("import no_such_module_anywhere\n")
    (project / "langgraph.json").write_bytes(
        orjson.dumps({"dependencies": ["."], "graphs": {"agent": "./agent.py:graph"}})
    )
    done = subprocess.run(
        [sys.executable, "-m", "tether", "serve", "--config", str(project / "langgraph.json")]
        + ["--data-dir", str(tmp_path / "data"), "--port", "0", "--log-format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    record = json.loads(line)
    assert record["level"] == "critical"
    assert record["message"].startswith('graph "agent" (./agent.py:graph) failed to load')
    assert "no_such_module_anywhere" in record["message"]
    assert record["exc_info"].startswith("Traceback (most recent call last):")
    assert (
        record["exc_info"]
        .rstrip()
        .endswith("ModuleNotFoundError: No module named 'no_such_module_anywhere'")
    )


def _record(message: str, **fields: Any) -> logging.LogRecord:
    try:
        raise RuntimeError("inner\nsecond line")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("tether.x", logging.ERROR, __file__, 1, message, (), exc_info)
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def test_a_json_record_stays_on_one_line() -> None:
    line = JsonFormatter().format(_record("two\nlines", run_id="r1", attempt=2))
    assert "\n" not in line
    record = json.loads(line)
    assert (record["message"], record["run_id"], record["attempt"]) == ("two\nlines", "r1", 2)
    assert "thread_id" not in record  # only the ids the record has
    assert record["exc_info"].endswith("RuntimeError: inner\nsecond line")


def test_a_text_record_without_ids_has_no_brackets() -> None:
    text = TextFormatter().format(_record("plain"))
    assert text.splitlines()[0].endswith(" ERROR tether.x: plain")
    assert "Traceback (most recent call last):" in text


def test_the_pools_reconnect_warnings_go_out_once_per_30_s(
    capsys: Any,
) -> None:
    """While PostgreSQL is away psycopg's pool warns at every failed reconnection, several
    times a second per process: one line goes out per 30 s, the next says how many were
    held back (`Repeated`'s examples show the count)."""
    import doctest

    from tether import logs

    assert doctest.testmod(logs).failed == 0
    root = logging.getLogger()
    level = root.level
    logs.configure("warning", "text")
    pool = logging.getLogger("psycopg.pool")
    try:
        for _ in range(20):
            pool.warning("error connecting in %r: %s", "tether", "Connection refused")
        pool.warning("something else")
        err = capsys.readouterr().err
        assert err.count("error connecting in 'tether': Connection refused") == 1
        assert "something else" in err
        logs.configure("warning", "text")  # configured again: still one filter
        assert sum(isinstance(f, logs.Repeated) for f in pool.filters) == 1
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h.get_name() == "tether"]:
            root.removeHandler(handler)
        for added in [f for f in pool.filters if isinstance(f, logs.Repeated)]:
            pool.removeFilter(added)
