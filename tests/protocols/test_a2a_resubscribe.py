"""A2A `tasks/resubscribe` (v1.0 `SubscribeToTask`) through the `a2a-sdk` client, on a run
that is still going: a graph (`project/graphs.py`) streams a reply, then holds the run open
until the test releases it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import (
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    SubscribeToTaskRequest,
    TaskState,
)
from conftest import ServerProcess, started_on_backend
from google.protobuf import struct_pb2

PROJECT = Path(__file__).resolve().parent / "project" / "langgraph.json"
REPLY = "Hello there, this is a fake streamed reply."


@pytest.fixture(scope="module")
def held_url(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    server = ServerProcess(tmp_path_factory.mktemp("a2a-held"), config=PROJECT)
    with started_on_backend(server, backend_name, request, timeout=90) as started:
        yield started.url


@pytest.fixture(params=["v1.0", "v0.3"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _text(event: StreamResponse) -> str:
    return "".join(p.text for p in event.status_update.status.message.parts)


def _kind(event: StreamResponse) -> Any:
    return event.WhichOneof("payload")


async def test_resubscribe_sends_the_reply_so_far_once_then_the_rest_live(
    held_url: str, dialect: str, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    data = struct_pb2.Value()
    data.struct_value.update({"release": str(release)})
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text="hi"), Part(data=data)],
    )
    async with httpx.AsyncClient(timeout=60) as http:
        card = await A2ACardResolver(http, held_url).get_agent_card(
            "/.well-known/agent-card.json?assistant_id=held_reply"
        )
        if dialect == "v0.3":
            card.supported_interfaces[0].protocol_version = "0.3"
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)

        stream = client.send_message(SendMessageRequest(message=message))
        first = await anext(stream)  # type: ignore[call-overload]
        task_id = first.task.id
        streamed = []
        async for event in stream:  # type: ignore[attr-defined]
            streamed.append(_text(event))
            if streamed[-1] == REPLY:
                break  # the whole reply has arrived; the run is held open
        await stream.aclose()  # type: ignore[attr-defined]
        assert len(streamed) > 2  # it came token by token

        resumed = client.subscribe(SubscribeToTaskRequest(id=task_id))
        now = await anext(resumed)  # type: ignore[call-overload]
        assert _kind(now) == "task" and now.task.id == task_id
        assert now.task.status.state == TaskState.TASK_STATE_WORKING
        so_far = await anext(resumed)  # type: ignore[call-overload]
        assert _kind(so_far) == "status_update"
        assert so_far.status_update.status.state == TaskState.TASK_STATE_WORKING
        assert _text(so_far) == REPLY  # once, not replayed token by token
        release.touch()
        rest = [event async for event in resumed]  # type: ignore[attr-defined]
    assert [_kind(e) for e in rest] == ["artifact_update", "status_update"]
    assert [p.text for p in rest[0].artifact_update.artifact.parts] == [REPLY]
    assert rest[1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
