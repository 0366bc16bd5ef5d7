"""Request bodies. Unknown fields are ignored, as the official server does."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tether.ids import canonical_uuid

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
#: Deepest nesting a request body may have. The JSON encoder stops at 254 levels, and stored
#: values sit a few levels inside records (a run's input inside its kwargs), so a body nested
#: deeper than this could be accepted but never stored or sent back.
MAX_DEPTH = 128


def _text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None. A lone surrogate (`"\\ud800"`) is valid
    JSON but no valid UTF-8; a NUL character cannot be stored by PostgreSQL (text, jsonb), so
    it is refused on every backend alike."""
    if "\x00" in value:
        return "string with a NUL character (\\u0000), which storage cannot hold"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "string with a lone surrogate (not valid Unicode text)"
    return None


class TooDeep(ValueError):
    """A body nested deeper than MAX_DEPTH (400, as the official server answers)."""


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        # JSON allows any integer, any nesting, lone surrogates and NUL; storage and the JSON
        # encoder take 64-bit integers, 254 levels and valid UTF-8 without NUL.
        pending = [(data, 1)]
        while pending:
            value, depth = pending.pop()
            if depth > MAX_DEPTH:
                raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(key, str) and (problem := _text_problem(key)):
                        raise ValueError(problem)
                    pending.append((item, depth + 1))
            elif isinstance(value, list):
                pending.extend((item, depth + 1) for item in value)
            elif isinstance(value, str):
                if problem := _text_problem(value):
                    raise ValueError(problem)
            elif isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
                raise ValueError(f"integer {value} does not fit in 64 bits")
        return data


Json = dict[str, Any]


def _config_shape(config: Json) -> Json:
    for key in ("configurable", "metadata"):
        if config.get(key) is not None and not isinstance(config[key], dict):
            raise ValueError(f"config.{key} must be an object")
    tags = config.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ValueError("config.tags must be a list of strings")
    limit = config.get("recursion_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise ValueError("config.recursion_limit must be an integer")
    return config


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return canonical_uuid(value)
    if isinstance(value, list):
        return [canonical_uuid(v) if isinstance(v, str) else v for v in value]
    return value


#: A thread, run, assistant or cron id: any way of writing a UUID is stored as its canonical
#: form, as the official server does (a graph name, where one is allowed, stays as it is).
Id = Annotated[str, BeforeValidator(_canonical)]
Ids = Annotated[list[str], BeforeValidator(_canonical)]

#: A run's `config`: an object whose `configurable` and `metadata` are objects too.
RunConfig = Annotated[Json, AfterValidator(_config_shape)]
#: SQLite integers are 64-bit; bounds keep numbers from the wire inside what storage accepts.
MAX_INT = 2**31 - 1
StreamModeField = str | list[str] | None
InterruptNodes = Literal["*"] | list[str] | None


class AssistantCreate(Body):
    graph_id: str
    assistant_id: Id | None = None
    config: RunConfig | None = None
    context: Json | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    name: str | None = None
    description: str | None = None


class AssistantPatch(Body):
    graph_id: str | None = None
    config: RunConfig | None = None
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
    thread_id: Id | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    ttl: Json | None = None
    supersteps: list[Json] | None = None


class ThreadPatch(Body):
    metadata: Json | None = None
    ttl: Json | None = None


class ThreadSearch(Body):
    ids: Ids | None = None
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
    thread_ids: Ids
    strategy: Literal["delete", "keep_latest"] = "delete"


class CheckpointConfig(Body):
    thread_id: Id | None = None
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
    assistant_id: Id
    input: Any = None
    command: Json | None = None
    checkpoint: CheckpointConfig | None = None
    checkpoint_id: str | None = None
    metadata: Json | None = None
    config: RunConfig | None = None
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
    thread_id: Id | None = None
    run_ids: Ids | None = None
    status: Literal["pending", "running", "all"] | None = None


class CronPatch(Body):
    """What can change on a cron; creating one takes the same plus the fields below."""

    schedule: str | None = None
    end_time: str | None = None
    input: Any = None
    metadata: Json | None = None
    config: RunConfig | None = None
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
    assistant_id: Id
    schedule: str
    checkpoint_during: bool | None = None
    multitask_strategy: Literal["reject", "interrupt", "rollback", "enqueue"] | None = None


class CronSearch(Body):
    assistant_id: Id | None = None
    thread_id: Id | None = None
    enabled: bool | None = None
    metadata: Json | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_INT)
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class CronCount(Body):
    assistant_id: Id | None = None
    thread_id: Id | None = None
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
