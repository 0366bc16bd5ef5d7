"""Building the langgraph config, context and input of a run."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Send

from tether import __version__
from tether.graphs import Graph
from tether.records import RunRecord
from tether.services.auth import AuthUser

LANGGRAPH_VERSION = version("langgraph")


def merge_configs(base: dict[str, Any] | None, override: dict[str, Any] | None) -> dict[str, Any]:
    """Assistant config overlaid by run config; `configurable` and `metadata` merge key by key."""
    merged: dict[str, Any] = {**(base or {})}
    for key, value in (override or {}).items():
        if key in ("configurable", "metadata") and isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}
        elif key == "tags" and isinstance(value, list):
            merged[key] = [*(merged.get(key) or []), *value]
        else:
            merged[key] = value
    return merged


def thread_config(thread_id: str, checkpoint: dict[str, Any] | None = None) -> RunnableConfig:
    """Config addressing a thread's state (optionally one checkpoint of it)."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    for key, value in (checkpoint or {}).items():
        if value is not None and key != "thread_id":
            configurable[key] = value
    return {"configurable": configurable}


def run_config(run: RunRecord, assistant: dict[str, Any] | None) -> RunnableConfig:
    kwargs = run.kwargs
    config = merge_configs((assistant or {}).get("config"), kwargs.get("config"))
    configurable = dict(config.get("configurable") or {})
    configurable.update(
        thread_id=run.thread_id,
        run_id=run.run_id,
        graph_id=run.graph_id,
        assistant_id=run.assistant_id,
        user_id=configurable.get("user_id", ""),
    )
    user = configurable.get("langgraph_auth_user")
    if isinstance(user, dict) and isinstance(user.get("identity"), str):
        # Stored as JSON with the run; graphs get the user object handlers got.
        configurable["langgraph_auth_user"] = AuthUser(user)
    checkpoint = dict(kwargs.get("checkpoint") or {})
    if kwargs.get("checkpoint_id"):
        checkpoint["checkpoint_id"] = kwargs["checkpoint_id"]
    for key in ("checkpoint_id", "checkpoint_ns", "checkpoint_map"):
        if checkpoint.get(key) is not None:
            configurable[key] = checkpoint[key]
    config["configurable"] = configurable
    config["metadata"] = {
        **(config.get("metadata") or {}),
        "created_by": "system",
        "graph_id": run.graph_id,
        "assistant_id": run.assistant_id,
        "thread_id": run.thread_id,
        "run_id": run.run_id,
        "run_attempt": max(run.attempt, 1),
        "langgraph_version": LANGGRAPH_VERSION,
        "tether_version": __version__,
        **run.metadata,
    }
    return cast(RunnableConfig, config)


def run_context(
    run: RunRecord, assistant: dict[str, Any] | None, graph: Graph
) -> dict[str, Any] | None:
    """The `context` a run passes to `graph`: the assistant's, overlaid by the run's.

    A graph with a `context_schema` always gets a dict, even an empty one, and langgraph builds
    the schema from it (a dataclass or pydantic model with its defaults; a TypedDict stays a
    dict). Keys the schema's JSON schema does not declare are dropped, so a context meant for
    another graph does not fail the run. Both as the official server does. Only a graph without
    a schema, given nothing, gets `None`.
    """
    context = {**((assistant or {}).get("context") or {}), **(run.kwargs.get("context") or {})}
    if graph.context_schema is None:
        return context or None
    if context and (declared := _declared_context_keys(graph)):
        context = {key: value for key, value in context.items() if key in declared}
    return context


def _declared_context_keys(graph: Graph) -> set[str]:
    """The keys of the graph's context JSON schema; none when it has none or pydantic cannot
    build one (a `typing.TypedDict` on Python < 3.12): the context is then kept whole."""
    try:
        schema = graph.get_context_jsonschema() or {}
    except Exception:
        return set()
    return set(schema.get("properties") or ())


def run_input(kwargs: dict[str, Any]) -> Any:
    """The graph input: a `Command` when the run has one, else its `input` (None resumes)."""
    command = kwargs.get("command")
    if command:
        goto = command.get("goto")
        if goto is not None:
            goto = [_send(g) for g in goto] if isinstance(goto, list) else _send(goto)
        update = command.get("update")
        if isinstance(update, list):
            update = [tuple(item) for item in update]
        args: dict[str, Any] = {}
        if "resume" in command:
            args["resume"] = command["resume"]
        if goto is not None:
            args["goto"] = goto
        if update is not None:
            args["update"] = update
        return Command(**args)
    return kwargs.get("input")


def _send(value: Any) -> Any:
    if isinstance(value, dict) and "node" in value:
        return Send(value["node"], value.get("input"))
    return value
