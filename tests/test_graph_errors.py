"""A graph that does not load: `tether dev`, `serve` and `worker` name the graph and its file
or module, show the traceback of the project's code (no frame of Tether's), name the likely
fix, and exit with status 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import tether
from tether.graphs import GraphConfigError, read_project

TETHER_SOURCE = str(Path(tether.__file__).resolve().parent)

#: A graph module that defines a graph under another name than langgraph.json's.
MISNAMED = """\
from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict):
    counter: int


def node(state: State) -> State:
    return state


_builder = StateGraph(State)
_builder.add_node(node)
_builder.add_edge(START, "node")
grahp = _builder.compile()
"""


def _project(folder: Path, files: dict[str, str], graph: str = "./agent.py:graph") -> Path:
    """A project in `folder` with one graph, "agent"; its langgraph.json."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    config = folder / "langgraph.json"
    config.write_bytes(orjson.dumps({"dependencies": ["."], "graphs": {"agent": graph}}))
    return config


COMMANDS = [["dev"], ["dev", "--no-reload"], ["serve"], ["worker"]]


def _start(command: list[str], config: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    http = [] if command == ["worker"] else ["--port", "0"]
    return subprocess.run(
        [sys.executable, "-m", "tether", *command, "--config", str(config)]
        + ["--data-dir", str(data_dir), *http],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_reported_without_tether_frames(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""  # no banner: nothing was served
    assert TETHER_SOURCE not in result.stderr, result.stderr
    assert "<frozen importlib" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_syntax_error_names_graph_file_and_line(tmp_path: Path, command: list[str]) -> None:
    config = _project(tmp_path / "project", {"agent.py": "def node(state:\n    return state\n"})
    agent = config.parent / "agent.py"

    result = _start(command, config, tmp_path / "data")

    _assert_reported_without_tether_frames(result)
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f'tether: graph "agent" (./agent.py:graph) failed to load: importing {agent} raised'
        " SyntaxError"
    )
    assert f'  File "{agent}", line 1' in lines
    assert "SyntaxError: '(' was never closed" in lines
    assert lines[-1] == f"Likely fix: correct the syntax of {agent}, line 1"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_missing_dependency_shows_the_projects_traceback_and_how_to_install_it(
    tmp_path: Path, command: list[str]
) -> None:
    config = _project(
        tmp_path / "project",
        {
            "agent.py": "import helpers\n",
            "helpers.py": "import tether_test_not_installed_anywhere\n",
            "pyproject.toml": '[project]\nname = "my-agent"\nversion = "0.1.0"\n',
        },
    )
    root = config.parent

    result = _start(command, config, tmp_path / "data")

    _assert_reported_without_tether_frames(result)
    expected = f"""\
tether: graph "agent" (./agent.py:graph) failed to load: importing {root / "agent.py"} raised \
ModuleNotFoundError
Traceback (most recent call last):
  File "{root / "agent.py"}", line 1, in <module>
    import helpers
  File "{root / "helpers.py"}", line 1, in <module>
    import tether_test_not_installed_anywhere
ModuleNotFoundError: No module named 'tether_test_not_installed_anywhere'
Likely fix: 'tether_test_not_installed_anywhere' is not part of the project and not installed in \
the Python environment Tether runs in ({sys.prefix}); install the project's dependencies into \
that environment:
    uv pip install --python {sys.executable} -e {root}
or add Tether to the project's own environment and run it there:
    cd {root} && uv add --dev """
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.endswith(" && uv run tether dev\n"), result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_missing_attribute_names_the_graphs_the_module_defines(
    tmp_path: Path, command: list[str]
) -> None:
    config = _project(tmp_path / "project", {"agent.py": MISNAMED})
    agent = config.parent / "agent.py"

    result = _start(command, config, tmp_path / "data")

    _assert_reported_without_tether_frames(result)
    assert result.stderr.splitlines() == [
        f'tether: graph "agent" (./agent.py:graph) failed to load: {agent} has no attribute'
        " 'graph'",
        'Likely fix: after the ":" in langgraph.json, name one of the graphs it defines: grahp'
        ' (did you mean "grahp"?)',
    ]


# -- the likely fix, in process ------------------------------------------------------------


def _load_error(config: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys, "path", list(sys.path))  # read_project adds the project's folders
    with pytest.raises(GraphConfigError) as caught:
        read_project(config)
    return str(caught.value)


def test_a_package_outside_the_import_folders_is_pointed_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _project(
        tmp_path / "project",
        {"agent.py": "from my_agent_pkg import tools\n", "src/my_agent_pkg/__init__.py": ""},
    )
    message = _load_error(config, monkeypatch)
    assert message.splitlines()[-1] == (
        f"Likely fix: 'my_agent_pkg' is in {config.parent / 'src'}, which is not among the"
        ' folders the project is imported from: add "./src" to "dependencies" in langgraph.json'
    )


def test_a_misspelt_module_of_the_project_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _project(
        tmp_path / "project",
        {"agent.py": "import my_agent_tools.serach\n", "my_agent_tools/__init__.py": ""},
    )
    message = _load_error(config, monkeypatch)
    assert message.splitlines()[-1] == (
        "Likely fix: the project has 'my_agent_tools' but no module 'my_agent_tools.serach':"
        " check the name"
    )


def test_a_missing_module_named_in_langgraph_json_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _project(tmp_path / "project", {}, graph="my_agent_graphs.main:graph")
    message = _load_error(config, monkeypatch)
    assert message.splitlines()[0] == (
        'graph "agent" (my_agent_graphs.main:graph) failed to load: importing module'
        " my_agent_graphs.main raised ModuleNotFoundError"
    )
    assert message.splitlines()[-1].startswith(
        "Likely fix: langgraph.json names the module 'my_agent_graphs.main', which neither the"
        f" project ({config.parent}) nor the Python environment Tether runs in has"
    )


def test_a_missing_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _project(tmp_path / "project", {}, graph="./agnet.py:graph")
    assert _load_error(config, monkeypatch).splitlines() == [
        f'graph "agent" (./agnet.py:graph) failed to load: {config.parent / "agnet.py"} does'
        " not exist",
        f"Likely fix: correct the path in langgraph.json (relative to {config.parent})",
    ]


def test_a_state_graph_that_does_not_compile_shows_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tether compiles the StateGraph langgraph.json names.
    broken = MISNAMED.replace('_builder.add_edge(START, "node")', '_builder.add_edge("x", "y")')
    broken = broken.replace("grahp = _builder.compile()\n", "")
    config = _project(tmp_path / "project", {"agent.py": broken}, graph="./agent.py:_builder")
    message = _load_error(config, monkeypatch)
    assert message.splitlines()[0] == (
        'graph "agent" (./agent.py:_builder) failed to load: compiling the StateGraph _builder'
        " raised ValueError"
    )
    assert message.splitlines()[-1] == "ValueError: Found edge starting at unknown node 'x'"
    assert TETHER_SOURCE not in message
