"""Request bodies. Unknown fields are ignored, as the official server does."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _integers_fit_in_64_bits(cls, data: Any) -> Any:
        # JSON allows any integer; storage and the JSON encoder take 64 bits.
        pending = [data]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
            elif isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
                raise ValueError(f"integer {value} does not fit in 64 bits")
        return data


Json = dict[str, Any]
#: SQLite integers are 64-bit; bounds keep numbers from the wire inside what storage accepts.
MAX_INT = 2**31 - 1
StreamModeField = str | list[str] | None
InterruptNodes = Literal["*"] | list[str] | None


class AssistantCreate(Body):
    graph_id: str
    assistant_id: str | None = None
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    name: str | None = None
    description: str | None = None


class AssistantPatch(Body):
    graph_id: str | None = None
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    name: str | None = None
    description: str | None = None


class AssistantSearch(Body):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
    sort_by: Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class AssistantCount(Body):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None


class AssistantVersionsSearch(Body):
    metadata: Json | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)


class AssistantVersionChange(Body):
    version: int = Field(ge=1, le=MAX_INT)


class ThreadCreate(Body):
    thread_id: str | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    ttl: Json | None = None
    supersteps: list[Json] | None = None


class ThreadPatch(Body):
    metadata: Json | None = None
    ttl: Json | None = None


class ThreadSearch(Body):
    ids: list[str] | None = None
    metadata: Json | None = None
    values: Json | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
    sort_by: (
        Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"] | None
    ) = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None
    extract: dict[str, str] | None = None


class ThreadCount(Body):
    metadata: Json | None = None
    values: Json | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None


class ThreadPrune(Body):
    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] = "delete"


class CheckpointConfig(Body):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: Json | None = None


class ThreadStateUpdate(Body):
    values: Json | list[Any] | None = None
    checkpoint: CheckpointConfig | None = None
    checkpoint_id: str | None = None
    as_node: str | None = None


class ThreadStateCheckpoint(Body):
    checkpoint: CheckpointConfig
    subgraphs: bool = False


class ThreadHistory(Body):
    limit: int = Field(10, ge=1, le=1000)
    before: str | CheckpointConfig | None = None
    metadata: Json | None = None
    checkpoint: CheckpointConfig | None = None


class RunCreate(Body):
    assistant_id: str
    input: Any = None
    command: Json | None = None
    checkpoint: CheckpointConfig | None = None
    checkpoint_id: str | None = None
    metadata: Json | None = None
    config: Json | None = None
    context: Json | None = None
    webhook: str | None = None
    interrupt_before: InterruptNodes = None
    interrupt_after: InterruptNodes = None
    stream_mode: StreamModeField = None
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    feedback_keys: list[str] | None = None
    on_disconnect: Literal["cancel", "continue"] = "continue"
    on_completion: Literal["delete", "keep"] | None = None
    multitask_strategy: Literal["reject", "interrupt", "rollback", "enqueue"] | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    after_seconds: float | None = Field(None, ge=0, le=MAX_INT)
    checkpoint_during: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    langsmith_tracer: Json | None = None
    strict_resume: bool | None = None

    def payload(self) -> dict[str, Any]:
        data = self.model_dump()
        if self.checkpoint is not None:
            data["checkpoint"] = self.checkpoint.model_dump(exclude_none=True)
        return data


class RunsCancel(Body):
    thread_id: str | None = None
    run_ids: list[str] | None = None
    status: Literal["pending", "running", "all"] | None = None


class CronPatch(Body):
    """What can change on a cron; creating one takes the same plus the fields below."""

    schedule: str | None = None
    end_time: str | None = None
    input: Any = None
    metadata: Json | None = None
    config: Json | None = None
    context: Json | None = None
    webhook: str | None = None
    interrupt_before: InterruptNodes = None
    interrupt_after: InterruptNodes = None
    on_run_completed: Literal["delete", "keep"] | None = None
    enabled: bool | None = None
    timezone: str | None = None
    stream_mode: StreamModeField = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None


class CronCreate(CronPatch):
    assistant_id: str
    schedule: str
    checkpoint_during: bool | None = None
    multitask_strategy: Literal["reject", "interrupt", "rollback", "enqueue"] | None = None


class CronSearch(Body):
    assistant_id: str | None = None
    thread_id: str | None = None
    enabled: bool | None = None
    metadata: Json | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class CronCount(Body):
    assistant_id: str | None = None
    thread_id: str | None = None
    metadata: Json | None = None


class StorePut(Body):
    namespace: list[str]
    key: str
    value: Json
    index: Literal[False] | list[str] | None = None
    #: Minutes; at most ten years.
    ttl: float | None = Field(None, gt=0, le=10 * 365 * 24 * 60)


class StoreDelete(Body):
    namespace: list[str]
    key: str


class StoreSearch(Body):
    namespace_prefix: list[str] = Field(default_factory=list)
    filter: Json | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
    query: str | None = None
    refresh_ttl: bool | None = None


class StoreListNamespaces(Body):
    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: int | None = Field(None, ge=1, le=MAX_INT)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
