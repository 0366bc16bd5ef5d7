"""`run_context` with every kind of `context_schema`, fed to a real langgraph graph in process
(the dataclass case runs against the server in `tests/conformance/test_context.py`)."""

from __future__ import annotations

import sys
import typing
from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel
from typing_extensions import TypedDict

from tether.records import RunRecord
from tether.services.run_config import run_context


class PydanticContext(BaseModel):
    model: str = "fake/model"
    temperature: float = 0.0


class TypedDictContext(TypedDict, total=False):
    model: str


class PlainTypedDictContext(typing.TypedDict, total=False):
    """pydantic builds no JSON schema of a `typing.TypedDict` on Python < 3.12."""

    model: str


class State(TypedDict, total=False):
    seen: Any


def _graph(context_schema: type[Any] | None) -> Any:
    def read(state: State, runtime: Runtime[Any]) -> State:
        return {"seen": runtime.context}

    builder = StateGraph(State, context_schema=context_schema)
    builder.add_node(read)
    builder.add_edge(START, "read")
    builder.add_edge("read", END)
    return builder.compile()


def _run(context: dict[str, Any] | None) -> RunRecord:
    kwargs: dict[str, Any] = {"input": {}}
    if context is not None:
        kwargs["context"] = context
    return RunRecord(
        run_id="r",
        thread_id="t",
        assistant_id="a",
        graph_id="g",
        status="pending",
        metadata={},
        kwargs=kwargs,
        multitask_strategy="enqueue",
        created_at="",
        updated_at="",
    )


async def _seen(
    context_schema: type[Any] | None,
    given: dict[str, Any] | None,
    assistant_context: dict[str, Any] | None = None,
) -> Any:
    graph = _graph(context_schema)
    assistant = {"config": {}, "context": assistant_context or {}}
    context = run_context(_run(given), assistant, graph)
    return (await graph.ainvoke({}, context=context))["seen"]


@pytest.mark.parametrize("given", [None, {}])
async def test_a_pydantic_schema_gets_its_defaults(given: dict[str, Any] | None) -> None:
    assert await _seen(PydanticContext, given) == PydanticContext()


async def test_a_pydantic_schema_gets_the_assistant_context_under_the_run_context() -> None:
    seen = await _seen(
        PydanticContext, {"temperature": 0.5}, {"model": "assistant/model", "temperature": 1.0}
    )

    assert seen == PydanticContext(model="assistant/model", temperature=0.5)


@pytest.mark.parametrize("given", [None, {}])
def test_a_typeddict_schema_gets_a_dict(given: dict[str, Any] | None) -> None:
    # Checked on `run_context` itself: langgraph's `Runtime.merge` hands a node `None` for an
    # empty context (langgraph issue #8406), whatever the server passes.
    assistant = {"config": {}, "context": {}}

    assert run_context(_run(given), assistant, _graph(TypedDictContext)) == {}


async def test_a_typeddict_schema_gets_the_merged_dict_of_its_keys() -> None:
    assert await _seen(TypedDictContext, {"model": "run"}, {"model": "a", "x": 1}) == {
        "model": "run"
    }


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="pydantic handles typing.TypedDict")
async def test_a_schema_without_a_json_schema_gets_every_key() -> None:
    assert await _seen(PlainTypedDictContext, {"model": "run"}, {"x": 1}) == {
        "model": "run",
        "x": 1,
    }


async def test_a_pydantic_schema_ignores_keys_it_does_not_declare() -> None:
    assert await _seen(PydanticContext, {"model": "run", "unknown": 1}) == PydanticContext(
        model="run"
    )


@pytest.mark.parametrize("given", [None, {}])
async def test_no_schema_and_no_context_gives_none(given: dict[str, Any] | None) -> None:
    assert await _seen(None, given) is None


async def test_no_schema_gets_the_context_as_a_dict() -> None:
    assert await _seen(None, {"model": "run"}, {"extra": True}) == {"model": "run", "extra": True}
