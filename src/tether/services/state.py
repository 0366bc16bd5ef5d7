"""Thread state in the official JSON shape (from langgraph's StateSnapshot)."""

from __future__ import annotations

from typing import Any

from tether.serialization import to_jsonable

EMPTY_STATE: dict[str, Any] = {
    "values": {},
    "next": [],
    "tasks": [],
    "metadata": None,
    "created_at": None,
    "checkpoint": None,
    "parent_checkpoint": None,
    "interrupts": [],
    "checkpoint_id": None,
    "parent_checkpoint_id": None,
}


def checkpoint_of(config: Any) -> dict[str, Any] | None:
    """The `{checkpoint_id, thread_id, checkpoint_ns}` object a config points at."""
    if not config:
        return None
    configurable = config.get("configurable", {})
    checkpoint = {
        "checkpoint_id": configurable.get("checkpoint_id"),
        "thread_id": configurable.get("thread_id"),
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
    }
    if configurable.get("checkpoint_map"):
        checkpoint["checkpoint_map"] = configurable["checkpoint_map"]
    return checkpoint


def state_to_api(snapshot: Any) -> dict[str, Any]:
    if snapshot is None or (not snapshot.values and snapshot.config is None):
        return dict(EMPTY_STATE)
    checkpoint = checkpoint_of(snapshot.config)
    parent = checkpoint_of(snapshot.parent_config)
    tasks = []
    for task in snapshot.tasks or ():
        state = task.state
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": to_jsonable(task.path),
                "error": None if task.error is None else repr(task.error),
                "interrupts": interrupts_json(task.interrupts),
                "checkpoint": checkpoint_of(state) if isinstance(state, dict) else None,
                "state": state_to_api(state)
                if state is not None and not isinstance(state, dict)
                else None,
                "result": to_jsonable(task.result),
            }
        )
    return {
        "values": to_jsonable(snapshot.values),
        "next": list(snapshot.next),
        "tasks": tasks,
        "metadata": to_jsonable(snapshot.metadata),
        "created_at": snapshot.created_at,
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": interrupts_json(getattr(snapshot, "interrupts", ()) or ()),
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def snapshot_interrupts(snapshot: Any) -> dict[str, list[dict[str, Any]]]:
    """Pending interrupts by task id, as the thread record shows them."""
    found: dict[str, list[dict[str, Any]]] = {}
    for task in snapshot.tasks or ():
        if task.interrupts:
            found[task.id] = interrupts_json(task.interrupts)
    return found


def interrupts_json(interrupts: Any) -> list[dict[str, Any]]:
    """Interrupts as thread state shows them: `{value, id}` (a response schema only when set)."""
    out = []
    for item in to_jsonable(list(interrupts)):
        if isinstance(item, dict) and item.get("response_schema", "") is None:
            del item["response_schema"]
        out.append(item)
    return out
