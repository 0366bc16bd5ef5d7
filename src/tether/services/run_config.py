"""Building the langgraph config, context and input of a run."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Send

from tether import __version__
from tether.records import RunRecord

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


def run_context(run: RunRecord, assistant: dict[str, Any] | None) -> dict[str, Any] | None:
    context = {**((assistant or {}).get("context") or {}), **(run.kwargs.get("context") or {})}
    return context or None


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
