"""Records to feed the ports with."""

from __future__ import annotations

from typing import Any

from tether.ids import uuid7
from tether.records import RunRecord, ThreadRecord, now_iso
from tether.services.threads import new_thread


def thread(**changes: Any) -> ThreadRecord:
    record = new_thread(uuid7(), {"owner": "ports"})
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def run(thread_id: str, *, strategy: str = "enqueue", delay: float = 0.0) -> RunRecord:
    now = now_iso()
    return RunRecord(
        run_id=uuid7(),
        thread_id=thread_id,
        assistant_id=uuid7(),
        graph_id="agent",
        status="pending",
        metadata={},
        kwargs={"input": {}},
        multitask_strategy=strategy,
        created_at=now,
        updated_at=now,
        delay_seconds=delay,
    )
