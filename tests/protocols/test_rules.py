"""The pure rules behind MCP and A2A, in process (no server)."""

from __future__ import annotations

import pytest

from tether.services import a2a_wire as wire
from tether.services.a2a import A2AError, TaskRef, graph_input, history_of, message_text
from tether.services.mcp import _schema_problem, tool_name


@pytest.mark.parametrize(
    ("name", "tool"),
    [("agent", "agent"), ("My helper!", "My_helper"), ("a/b c", "a_b_c"), ("!!", "assistant")],
)
def test_tool_names_are_safe(name: str, tool: str) -> None:
    assert tool_name(name) == tool
    assert len(tool_name("x" * 300)) == 128


def test_arguments_are_checked_against_the_input_schema() -> None:
    schema = {"type": "object", "properties": {"counter": {"type": "integer"}}}
    assert _schema_problem(schema, {"counter": 1}) is None
    assert _schema_problem(schema, {"counter": "x"}) == "counter: 'x' is not of type 'integer'"
    assert _schema_problem({"type": "nonsense"}, {}) is None  # an unusable schema checks nothing


def test_a_message_becomes_the_graph_input() -> None:
    text = {"parts": [{"kind": "text", "text": "hi"}], "messageId": "m1"}
    assert graph_input(text, accepts_messages=True) == {
        "messages": [{"role": "user", "content": "hi", "id": "m1"}]
    }
    data = {"parts": [{"kind": "data", "data": {"delay": 1}}, {"kind": "text", "text": "go"}]}
    assert graph_input(data, accepts_messages=True) == {
        "delay": 1,
        "messages": [{"role": "user", "content": "go"}],
    }
    file = {"parts": [{"kind": "file", "file": {"uri": "http://x/a.png", "mimeType": "image/png"}}]}
    [human] = graph_input(file, accepts_messages=True)["messages"]
    assert human["content"] == [
        {"type": "image", "mime_type": "image/png", "url": "http://x/a.png"}
    ]
    assert graph_input({"parts": [{"kind": "data", "data": {"a": 1}}]}, False) == {"a": 1}
    with pytest.raises(A2AError, match="'messages' field"):
        graph_input(text, accepts_messages=False)
    with pytest.raises(A2AError):
        graph_input({"parts": []}, accepts_messages=True)
    with pytest.raises(A2AError):
        graph_input({"parts": [{"kind": "video"}]}, accepts_messages=True)


def test_task_ids_name_a_context_and_a_run() -> None:
    ref = TaskRef("9b7a4f0e-0000-4000-8000-000000000001", "01a2323a-1321-7000-9861-d99674ce29e8")
    assert TaskRef.parse(ref.task_id) == ref
    with pytest.raises(A2AError) as raised:
        TaskRef.parse("nope")
    assert raised.value.code == -32001


def test_history_keeps_human_and_ai_messages() -> None:
    ref = TaskRef("c", "r")
    values = {
        "messages": [
            {"type": "human", "content": "hi", "id": "h"},
            {"type": "tool", "content": "x", "id": "t"},
            {
                "type": "ai",
                "content": [{"type": "text", "text": "he"}, {"type": "text", "text": "y"}],
            },
        ]
    }
    history = history_of(values, ref)
    assert [(m["role"], m["parts"][0]["text"]) for m in history] == [
        ("user", "hi"),
        ("agent", "hey"),
    ]
    assert history[0]["taskId"] == "c:r" and history[0]["messageId"] == "h"
    assert message_text({"content": None}) == ""


def test_v1_dialect_of_tasks_and_events() -> None:
    task = {
        "kind": "task",
        "id": "c:r",
        "contextId": "c",
        "status": {"state": "input-required", "timestamp": "t"},
        "history": [{"kind": "message", "role": "user", "parts": [{"kind": "text", "text": "hi"}]}],
        "artifacts": [{"artifactId": "a", "parts": [{"kind": "data", "data": {"x": 1}}]}],
    }
    v1 = wire.task_v1(task)
    assert v1["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert v1["history"] == [{"role": "ROLE_USER", "parts": [{"text": "hi"}]}]
    assert v1["artifacts"][0]["parts"] == [{"data": {"x": 1}}]
    assert "kind" not in v1
    update = {
        "kind": "status-update",
        "taskId": "c:r",
        "status": {"state": "working"},
        "final": False,
    }
    assert wire.stream_item_v1(update) == {
        "statusUpdate": {"taskId": "c:r", "status": {"state": "TASK_STATE_WORKING"}}
    }
    assert wire.stream_item_v1(task) == {"task": v1}


def test_v1_requests_are_read_as_v03() -> None:
    params = {
        "message": {
            "role": "ROLE_USER",
            "parts": [
                {"text": "hi"},
                {"data": {"a": 1}},
                {"url": "http://x/f.pdf", "mediaType": "application/pdf", "filename": "f.pdf"},
            ],
        }
    }
    message = wire.params_v03("SendMessage", params)["message"]
    assert message["role"] == "user" and message["kind"] == "message"
    assert message["parts"] == [
        {"kind": "text", "text": "hi"},
        {"kind": "data", "data": {"a": 1}},
        {
            "kind": "file",
            "file": {"uri": "http://x/f.pdf", "mimeType": "application/pdf", "name": "f.pdf"},
        },
    ]
