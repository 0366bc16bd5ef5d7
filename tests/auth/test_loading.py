"""Loading the auth object that langgraph.json names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langgraph_sdk import Auth

from tether.graphs import GraphConfigError, read_project

GRAPH = """
from langgraph.graph import StateGraph
from typing_extensions import TypedDict

class State(TypedDict):
    x: int

builder = StateGraph(State)
builder.add_node("n", lambda s: s)
builder.set_entry_point("n")
graph = builder.compile()
"""


def project(tmp_path: Path, auth_source: str, auth: object) -> Path:
    (tmp_path / "graph.py").write_text(GRAPH)
    (tmp_path / "my_auth.py").write_text(auth_source)
    config = {"graphs": {"g": "./graph.py:graph"}, "auth": auth}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    return tmp_path / "langgraph.json"


AUTH = (
    "from langgraph_sdk import Auth\nauth = Auth()\n"
    "@auth.authenticate\nasync def a(authorization: str) -> str:\n    return 'x'\n"
)


def test_the_auth_object_is_loaded_from_its_path(tmp_path: Path) -> None:
    source = AUTH
    loaded = read_project(project(tmp_path, source, {"path": "./my_auth.py:auth"}))
    assert isinstance(loaded.auth, Auth)


def test_no_auth_section_means_no_auth(tmp_path: Path) -> None:
    source = "raise RuntimeError('never imported')\n"
    assert read_project(project(tmp_path, source, {"openapi": {}})).auth is None


@pytest.mark.parametrize(
    ("source", "auth", "message"),
    [
        ("auth = 42\n", {"path": "./my_auth.py:auth"}, "not a langgraph_sdk.Auth"),
        (
            "from langgraph_sdk import Auth\nauth = Auth()\n",
            {"path": "./my_auth.py:auth"},
            "no @auth.authenticate",
        ),
        ("raise RuntimeError('boom')\n", {"path": "./my_auth.py:auth"}, "RuntimeError"),
        ("", {"path": "./missing.py:auth"}, "does not exist"),
        ("", {"path": "no-colon"}, "expected"),
        ("", "./my_auth.py:auth", "expected"),
        (
            "from langgraph_sdk import Auth\nauth = Auth()\n"
            "@auth.authenticate\nasync def a(token: str) -> str:\n    return token\n",
            {"path": "./my_auth.py:auth"},
            "'token'",
        ),
    ],
)
def test_an_auth_that_cannot_be_used_stops_the_start(
    tmp_path: Path, source: str, auth: object, message: str
) -> None:
    with pytest.raises(GraphConfigError, match=message):
        read_project(project(tmp_path, source, auth))
