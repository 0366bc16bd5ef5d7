"""The README says what is true: its Python examples run, and it lists every flag of the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text()
#: The address of the example server in the README (its first command line).
README_URL = "http://127.0.0.1:2025"
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_first_two_command_lines_set_up_and_test() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    assert first_block is not None
    lines = first_block.group(1).strip().splitlines()
    assert len(lines) == 2
    assert f"tether dev --config examples/langgraph.json --port {README_URL[-4:]}" in lines[0]
    assert "uv run --frozen pytest" in lines[1]


@pytest.mark.parametrize("command", [[], ["dev"], ["serve"], ["worker"], ["migrate"]])
def test_every_cli_flag_is_in_the_readme(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tether", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    flags = set(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", result.stdout))
    assert {"-h", "--help"} <= flags
    missing = [f for f in flags if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", README)]
    assert sorted(missing) == []


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_example_runs_against_the_example_server(tether_url: str, index: int) -> None:
    code = PYTHON_BLOCKS[index]
    assert README_URL in code, "every example talks to the server of the README's first line"

    result = subprocess.run(
        [sys.executable, "-c", code.replace(README_URL, tether_url)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed nothing"
