"""`tether dev` restarts its server when the project's code changes, and keeps threads, runs
and the data folder; `--no-reload` serves the code it started with."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import httpx
from conftest import EXAMPLES, ServerProcess, wait_until

#: What the example `trivial` graph's only node returns, and an edit of it.
INCREMENT = 'def increment(state: State) -> State:\n    return {"counter": 1}\n'
INCREMENT_BY_100 = 'def increment(state: State) -> State:\n    return {"counter": 100}\n'
RESTARTED = "tether: graphs.py changed, restarting"


def _copy_examples(tmp_path: Path) -> Path:
    """A project of the test's own (a copy of the examples); its langgraph.json."""
    project = shutil.copytree(EXAMPLES.parent, tmp_path / "project")
    return project / EXAMPLES.name


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))


def _increment(url: str) -> int | None:
    """What a new stateless `trivial` run adds to `counter` (None while no server answers)."""
    try:
        response = httpx.post(
            f"{url}/runs/wait", json={"assistant_id": "trivial", "input": {}}, timeout=30
        )
    except httpx.HTTPError:
        return None
    return int(response.json()["counter"]) if response.status_code == 200 else None


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_editing_a_graph_restarts_dev_on_the_new_code_and_keeps_threads_runs_and_data(
    tmp_path: Path,
) -> None:
    config = _copy_examples(tmp_path)
    server = ServerProcess(tmp_path / "data", config=config, args=["--reload"])
    server.start()
    url = server.url
    try:
        thread_id = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
        first = httpx.post(
            f"{url}/threads/{thread_id}/runs/wait", json={"assistant_id": "trivial", "input": {}}
        )
        assert first.json()["counter"] == 1
        [first_run] = httpx.get(f"{url}/threads/{thread_id}/runs").json()
        # A run in flight when the code changes: handed back, then resumed by the new server.
        ticking_thread = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
        ticking = httpx.post(
            f"{url}/threads/{ticking_thread}/runs",
            json={"assistant_id": "ticker", "input": {"n_events": 200, "delay": 0.05}},
        ).json()
        ticking_url = f"{url}/threads/{ticking_thread}/runs/{ticking['run_id']}"
        wait_until(lambda: httpx.get(ticking_url).json()["status"] == "running", "a running run")

        _edit(config.parent / "graphs.py", INCREMENT, INCREMENT_BY_100)
        wait_until(lambda: _increment(url) == 100, "a run on the new code", within=60)

        # The same server address, a new process, the same data: the thread, its state and
        # its runs are all there, and the run in flight finished on the new server.
        assert httpx.get(f"{url}/threads/{thread_id}").status_code == 200
        again = httpx.post(
            f"{url}/threads/{thread_id}/runs/wait", json={"assistant_id": "trivial", "input": {}}
        )
        assert again.json()["counter"] == 101
        runs = httpx.get(f"{url}/threads/{thread_id}/runs").json()
        assert first_run in runs and len(runs) == 2
        assert httpx.get(f"{ticking_url}/join", timeout=60).json()["counter"] == 200
        assert httpx.get(ticking_url).json()["status"] == "success"
        with httpx.stream("GET", f"{ticking_url}/stream", headers={"Last-Event-ID": "0"}) as events:
            attempts = [line for line in events.iter_lines() if line == "event: metadata"]
        assert len(attempts) == 2  # attempt 1 on the old server, attempt 2 on the new one

        assert server.log().count(RESTARTED) == 1, server.log()
        assert server.log().count("Tether 0.1.0") == 1, server.log()  # one banner
        assert server.process is not None
        pid = server.process.pid
        [child] = _children(pid)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == -signal.SIGTERM
        assert not _alive(child)
        assert "Traceback" not in server.log(), server.log()
    finally:
        server.stop()


def test_no_reload_serves_the_code_it_started_with(tmp_path: Path) -> None:
    config = _copy_examples(tmp_path)
    fixed = ServerProcess(tmp_path / "fixed", config=config, args=["--no-reload"])
    # The yardstick: a server that reloads, started on the same project.
    reloading = ServerProcess(tmp_path / "reloading", config=config, args=["--reload"])
    fixed.start()
    reloading.start()
    try:
        assert fixed.process is not None and reloading.process is not None
        assert _children(fixed.process.pid) == []  # the server itself, no supervisor
        assert len(_children(reloading.process.pid)) == 1
        assert _increment(fixed.url) == 1

        _edit(config.parent / "graphs.py", INCREMENT, INCREMENT_BY_100)
        wait_until(lambda: _increment(reloading.url) == 100, "the reloading server", within=60)

        assert _increment(fixed.url) == 1
        assert RESTARTED in reloading.log()
        assert "changed" not in fixed.log(), fixed.log()
    finally:
        fixed.stop()
        reloading.stop()


def test_a_broken_edit_is_reported_and_the_fix_is_served(tmp_path: Path) -> None:
    config = _copy_examples(tmp_path)
    graphs = config.parent / "graphs.py"
    server = ServerProcess(tmp_path / "data", config=config, args=["--reload"])
    server.start()
    try:
        _edit(graphs, INCREMENT, INCREMENT + "\ndef broken(:\n")
        stopped = "tether: the server stopped (exit status 1); it starts again when a file changes"
        wait_until(lambda: stopped in server.log(), "the report of the broken edit")
        assert "SyntaxError" in server.log()
        assert server.process is not None and server.process.poll() is None  # still watching

        _edit(graphs, INCREMENT + "\ndef broken(:\n", INCREMENT_BY_100)
        wait_until(lambda: _increment(server.url) == 100, "the fixed code", within=60)
        assert server.log().count(RESTARTED) == 2, server.log()
    finally:
        server.stop()


def test_killing_dev_stops_its_server_and_frees_port_and_data_folder(tmp_path: Path) -> None:
    config = _copy_examples(tmp_path)
    server = ServerProcess(tmp_path / "data", config=config, args=["--reload"])
    server.start()
    assert server.process is not None
    [child] = _children(server.process.pid)

    try:
        server.kill()  # SIGKILL: the supervisor cannot pass anything on
        wait_until(lambda: not _alive(child), "the server to notice and stop")
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)

    server.start()  # the same port and data folder
    try:
        assert _increment(server.url) == 1
    finally:
        server.stop()
