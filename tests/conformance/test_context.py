"""A run's `context`: built from the graph's `context_schema`, the assistant's under the run's.

The `context` example graph has a dataclass `context_schema` whose fields all have defaults (as the
official ReAct template's `Context`) and returns what it found in `runtime.context`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .support import Client

DEFAULTS = {"model": "fake/model", "system_prompt": "You are a helpful assistant."}


@pytest.fixture(params=["thread", "stateless"])
async def thread_id(request: pytest.FixtureRequest, client: Client) -> str | None:
    """A new thread's id, or None for a stateless run."""
    if request.param == "stateless":
        return None
    return (await client.threads.create())["thread_id"]  # type: ignore[no-any-return]


async def _seen(client: Client, thread_id: str | None, assistant_id: str, **kwargs: Any) -> Any:
    values = await client.runs.wait(thread_id, assistant_id, input={}, **kwargs)
    return values["seen_context"]


async def test_a_run_without_context_gets_the_schema_defaults(
    client: Client, thread_id: str | None
) -> None:
    seen = await _seen(client, thread_id, "context")

    assert seen == {"type": "Context", "fields": DEFAULTS}


async def test_an_empty_context_gets_the_schema_defaults(
    client: Client, thread_id: str | None
) -> None:
    seen = await _seen(client, thread_id, "context", context={})

    assert seen == {"type": "Context", "fields": DEFAULTS}


async def test_a_partial_context_keeps_the_other_defaults(
    client: Client, thread_id: str | None
) -> None:
    seen = await _seen(client, thread_id, "context", context={"model": "run/model"})

    assert seen == {"type": "Context", "fields": {**DEFAULTS, "model": "run/model"}}


async def test_keys_the_schema_does_not_declare_are_dropped(
    client: Client, thread_id: str | None
) -> None:
    seen = await _seen(client, thread_id, "context", context={"model": "run/model", "bogus": 1})

    assert seen == {"type": "Context", "fields": {**DEFAULTS, "model": "run/model"}}


async def test_the_assistant_context_is_merged_under_the_run_context(
    client: Client, thread_id: str | None
) -> None:
    assistant = await client.assistants.create(
        "context",
        context={"model": "assistant/model", "system_prompt": "from the assistant"},
        metadata={"tag": uuid.uuid4().hex},
    )

    alone = await _seen(client, thread_id, assistant["assistant_id"])
    overlaid = await _seen(
        client, thread_id, assistant["assistant_id"], context={"model": "run/model"}
    )

    assert alone == {
        "type": "Context",
        "fields": {"model": "assistant/model", "system_prompt": "from the assistant"},
    }
    assert overlaid == {
        "type": "Context",
        "fields": {"model": "run/model", "system_prompt": "from the assistant"},
    }
