"""The documented way to run Tether on a project: installed into the project's own
environment (`uv add --dev /path/to/tether`), so the project's package (a `src/` layout) and
its dependencies import, then `uv run tether dev` there."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import httpx
from conftest import ROOT, free_port, wait_until

PROJECT = {
    "pyproject.toml": """
        [project]
        name = "myagent"
        version = "0.1.0"
        requires-python = ">=3.11"
        # A dependency Tether does not have: importable only in the project's environment.
        dependencies = ["langgraph>=1.0", "python-slugify>=8"]

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
    """,
    "src/myagent/__init__.py": "",
    "src/myagent/words.py": """
        import os

        from slugify import slugify


        def shout(text: str) -> str:
            return os.environ["GREETING"] + " " + slugify(text).upper()
    """,
    "src/myagent/graph.py": """
        from typing import TypedDict

        from langgraph.graph import END, START, StateGraph

        from myagent.words import shout


        class State(TypedDict, total=False):
            text: str


        def speak(state: State) -> State:
            return {"text": shout(state.get("text", ""))}


        builder = StateGraph(State)
        builder.add_node(speak)
        builder.add_edge(START, "speak")
        builder.add_edge("speak", END)
        graph = builder.compile()
    """,
    "langgraph.json": """
        {"dependencies": ["."], "graphs": {"agent": "./src/myagent/graph.py:graph"}, "env": ".env"}
    """,
    ".env": "GREETING=hi\n",
}


def test_tether_installed_into_a_src_layout_project_runs_its_graphs(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv is not None, "uv is needed (pip install uv), as the README says"
    project = tmp_path / "myagent"
    for name, text in PROJECT.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    added = subprocess.run(
        [uv, "add", "--dev", str(ROOT)], cwd=project, env=env, capture_output=True, timeout=600
    )
    assert added.returncode == 0, added.stderr.decode()[-3000:]

    port = free_port()
    log = (tmp_path / "dev.log").open("wb")
    server = subprocess.Popen(
        [uv, "run", "tether", "dev", "--port", str(port), "--no-reload"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert server.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                return httpx.get(f"{url}/ok").status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, "tether dev in the project's environment", within=120)
        answer = httpx.post(
            f"{url}/runs/wait", json={"assistant_id": "agent", "input": {"text": "hello there"}}
        )
        assert answer.json() == {"text": "hi HELLO-THERE"}
        assert (project / ".tether").is_dir()  # the data folder is the project's
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
