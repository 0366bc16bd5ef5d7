"""Types of the values sent to and received from a LangGraph Agent Server.

Field and literal names follow the server's JSON exactly, so the same names work with
``langgraph_sdk.schema``. Dictionaries returned by the clients are plain ``dict`` objects;
these ``TypedDict`` classes only describe them for type checkers.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import Field
from datetime import datetime
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, TypeAlias, Union

# pydantic only accepts `typing_extensions.TypedDict` as a field type before Python 3.12;
# typing_extensions is always installed there (httpx -> anyio requires it).
if sys.version_info >= (3, 12):
    from typing import NotRequired, TypedDict
else:
    from typing import NotRequired

    from typing_extensions import TypedDict

Json = dict[str, Any] | None
"""A JSON object, or ``None``."""

# -- literals -------------------------------------------------------------------------------

RunStatus = Literal["pending", "running", "error", "success", "timeout", "interrupted"]
"""Where a run is in its life: queued, executing, or one of the four final states."""

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
"""``busy`` while a run executes on the thread; ``interrupted`` when a run paused on an interrupt."""

ThreadStreamMode = Literal["run_modes", "lifecycle", "state_update"]
"""What ``threads.join_stream`` follows: the runs' own events, run start/end only, or state updates."""

StreamMode = Literal[
    "values",
    "messages",
    "updates",
    "events",
    "tasks",
    "checkpoints",
    "debug",
    "custom",
    "messages-tuple",
    "tools",
    "lifecycle",
]
"""A kind of event a run can stream (``messages-tuple`` arrives as SSE event ``messages``)."""

DisconnectMode = Literal["cancel", "continue"]
"""What happens to a streaming run when its client disconnects."""

MultitaskStrategy = Literal["reject", "interrupt", "rollback", "enqueue"]
"""What happens when a run is created on a thread that is already busy."""

OnConflictBehavior = Literal["raise", "do_nothing"]
"""What ``create`` does when the id already exists."""

OnCompletionBehavior = Literal["delete", "keep"]
"""Whether the temporary thread of a stateless run is deleted or kept afterwards."""

Durability = Literal["sync", "async", "exit"]
"""When checkpoints are written: before the next step, alongside it, or only at exit."""

All = Literal["*"]
"""Every node (for ``interrupt_before`` / ``interrupt_after``)."""

IfNotExists = Literal["create", "reject"]
"""What a threaded run does when its thread does not exist."""

PruneStrategy = Literal["delete", "keep_latest"]
"""Delete pruned threads, or keep them with only their latest checkpoint."""

CancelAction = Literal["interrupt", "rollback"]
"""Stop the run (``interrupt``), or stop it and delete it with its checkpoints (``rollback``)."""

BulkCancelRunsStatus = Literal["pending", "running", "all"]
"""Which runs ``runs.cancel_many`` selects by status."""

AssistantSortBy = Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"]
ThreadSortBy = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]
CronSortBy = Literal[
    "cron_id", "assistant_id", "thread_id", "created_at", "updated_at", "next_run_date", "end_time"
]
SortOrder = Literal["asc", "desc"]

StreamVersion = Literal["v1", "v2"]
"""``v1`` yields ``StreamPart`` tuples; ``v2`` yields dicts with ``type``, ``ns`` and ``data``."""

AssistantSelectField = Literal[
    "assistant_id",
    "graph_id",
    "name",
    "description",
    "config",
    "context",
    "created_at",
    "updated_at",
    "metadata",
    "version",
]
ThreadSelectField = Literal[
    "thread_id",
    "created_at",
    "updated_at",
    "metadata",
    "config",
    "context",
    "status",
    "values",
    "interrupts",
]
ThreadStateSelectField = (
    Literal[
        "values",
        "next",
        "tasks",
        "checkpoint",
        "metadata",
        "created_at",
        "parent_checkpoint",
        "interrupts",
    ]
    | str
)
"""A state field, or ``values.<key>`` for one key of the state values."""
RunSelectField = Literal[
    "run_id",
    "thread_id",
    "assistant_id",
    "created_at",
    "updated_at",
    "status",
    "metadata",
    "kwargs",
    "multitask_strategy",
    "cancel_reason",
]
CronSelectField = Literal[
    "cron_id",
    "assistant_id",
    "thread_id",
    "end_time",
    "schedule",
    "timezone",
    "created_at",
    "updated_at",
    "user_id",
    "payload",
    "next_run_date",
    "metadata",
    "now",
    "on_run_completed",
    "enabled",
]

PrimitiveData = str | int | float | bool | None
QueryParamTypes = (
    Mapping[str, PrimitiveData | Sequence[PrimitiveData]]
    | list[tuple[str, PrimitiveData]]
    | tuple[tuple[str, PrimitiveData], ...]
    | str
    | bytes
)
"""Query parameters in any form httpx accepts."""

# -- inputs ---------------------------------------------------------------------------------


class _TypedDictLikeV1(Protocol):
    __required_keys__: ClassVar[frozenset[str]]
    __optional_keys__: ClassVar[frozenset[str]]


class _TypedDictLikeV2(Protocol):
    __required_keys__: frozenset[str]
    __optional_keys__: frozenset[str]


class _DataclassLike(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


class _BaseModelLike(Protocol):
    model_config: ClassVar[dict[str, Any]]
    __pydantic_core_schema__: ClassVar[Any]

    def model_dump(self, **kwargs: Any) -> dict[str, Any]: ...


_JSONLike: TypeAlias = str | int | float | bool | None
_JSONMap: TypeAlias = Mapping[str, Union[_JSONLike, list[_JSONLike], "_JSONMap", list["_JSONMap"]]]

Input: TypeAlias = _TypedDictLikeV1 | _TypedDictLikeV2 | _DataclassLike | _BaseModelLike | _JSONMap
"""A graph input: a JSON mapping, a TypedDict, a dataclass or a pydantic model instance."""
Context: TypeAlias = Input
"""Static run context; same shapes as ``Input``."""


class LangSmithTracing(TypedDict, total=False):
    """Where LangSmith traces of a run go (sent as ``langsmith_tracer``)."""

    project_name: str
    example_id: str


class Config(TypedDict, total=False):
    """A LangGraph run config."""

    tags: list[str]
    recursion_limit: int
    configurable: dict[str, Any]


class Checkpoint(TypedDict):
    """Points at one checkpoint of a thread."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str | None
    checkpoint_map: dict[str, Any] | None


class Send(TypedDict):
    """Send ``input`` to ``node`` (inside a ``Command``)."""

    node: str
    input: dict[str, Any] | None


class Command(TypedDict, total=False):
    """Resume, update or redirect a thread instead of giving it new input."""

    goto: Send | str | Sequence[Send | str]
    update: dict[str, Any] | Sequence[tuple[str, Any]]
    resume: Any


# -- resources ------------------------------------------------------------------------------


class GraphSchema(TypedDict):
    """JSON schemas of a graph (``None`` where the server could not derive one)."""

    graph_id: str
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    state_schema: dict[str, Any] | None
    config_schema: dict[str, Any] | None
    context_schema: dict[str, Any] | None


Subgraphs = dict[str, GraphSchema]
"""Schemas of subgraphs, keyed by namespace."""


class AssistantBase(TypedDict):
    """Fields shared by an assistant and each of its versions."""

    assistant_id: str
    graph_id: str
    config: Config
    context: Context
    created_at: datetime
    metadata: Json
    version: int
    name: str
    description: str | None


class AssistantVersion(AssistantBase):
    """One saved version of an assistant."""


class Assistant(AssistantBase):
    """A graph with its configuration."""

    updated_at: datetime


class AssistantsSearchResponse(TypedDict):
    """A page of ``assistants.search(response_format="object")`` with the next-page cursor."""

    assistants: list[Assistant]
    next: str | None


class Interrupt(TypedDict):
    """A pause raised by ``interrupt()`` inside a graph."""

    value: Any
    id: str
    response_schema: NotRequired[dict[str, Any]]


class Thread(TypedDict):
    """A conversation: a sequence of runs sharing state."""

    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: Json
    status: ThreadStatus
    values: Json
    interrupts: dict[str, list[Interrupt]]
    extracted: NotRequired[dict[str, Any]]


class ThreadTask(TypedDict):
    """A task of a thread state: the next node to run, or one that failed or paused."""

    id: str
    name: str
    error: str | None
    interrupts: list[Interrupt]
    checkpoint: Checkpoint | None
    state: ThreadState | None
    result: dict[str, Any] | None


class ThreadState(TypedDict):
    """A thread's state at one checkpoint."""

    values: list[dict[str, Any]] | dict[str, Any]
    next: Sequence[str]
    checkpoint: Checkpoint
    metadata: Json
    created_at: str | None
    parent_checkpoint: Checkpoint | None
    tasks: Sequence[ThreadTask]
    interrupts: list[Interrupt]


class ThreadUpdateStateResponse(TypedDict):
    """The checkpoint written by ``threads.update_state``."""

    checkpoint: Checkpoint


class Run(TypedDict):
    """One execution of an assistant."""

    run_id: str
    thread_id: str
    assistant_id: str
    created_at: datetime
    updated_at: datetime
    status: RunStatus
    metadata: Json
    multitask_strategy: MultitaskStrategy
    cancel_reason: NotRequired[str | None]


class Cron(TypedDict):
    """A run scheduled on a cron expression."""

    cron_id: str
    assistant_id: str
    thread_id: str | None
    on_run_completed: OnCompletionBehavior | None
    end_time: datetime | None
    schedule: str
    timezone: str | None
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any]
    user_id: str | None
    next_run_date: datetime | None
    metadata: dict[str, Any]
    enabled: bool


class CronUpdate(TypedDict, total=False):
    """Fields ``crons.update`` can change."""

    schedule: str
    timezone: str
    end_time: datetime
    input: Input
    metadata: dict[str, Any]
    config: Config
    context: Context
    webhook: str
    interrupt_before: All | list[str]
    interrupt_after: All | list[str]
    on_run_completed: OnCompletionBehavior
    enabled: bool
    stream_mode: StreamMode | list[StreamMode]
    stream_subgraphs: bool
    stream_resumable: bool
    durability: Durability


class RunCreate(TypedDict):
    """One run of ``runs.create_batch``."""

    thread_id: str | None
    assistant_id: str
    input: dict[str, Any] | None
    metadata: dict[str, Any] | None
    config: Config | None
    context: Context | None
    checkpoint_id: str | None
    interrupt_before: list[str] | None
    interrupt_after: list[str] | None
    webhook: str | None
    multitask_strategy: MultitaskStrategy | None


class RunCreateMetadata(TypedDict):
    """Passed to ``on_run_created`` as soon as the server has created the run."""

    run_id: str
    thread_id: str | None


class Item(TypedDict):
    """A document in the long-term store."""

    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SearchItem(Item, total=False):
    """A store item found by a search, with its relevance when the search was semantic."""

    score: float | None


class SearchItemsResponse(TypedDict):
    """Result of ``store.search_items``."""

    items: list[SearchItem]


class ListNamespaceResponse(TypedDict):
    """Result of ``store.list_namespaces``."""

    namespaces: list[list[str]]


# -- streaming ------------------------------------------------------------------------------


class StreamPart(NamedTuple):
    """One server-sent event of a run stream.

    ``event`` is the SSE event name (``metadata``, ``values``, ``custom``, ``values|child:…``
    for subgraphs, ``error``…), ``data`` its decoded JSON payload, and ``id`` the stream's
    last event id at that point (an event without its own ``id:`` line carries the previous
    one, as the SSE specification says).
    """

    event: str
    data: Any
    id: str | None = None


class TaskPayload(TypedDict):
    id: str
    name: str
    input: Any
    triggers: list[str]


class TaskResultPayload(TypedDict):
    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    result: dict[str, Any]


class CheckpointTaskPayload(TypedDict):
    id: str
    name: str
    error: NotRequired[str]
    result: NotRequired[Any]
    interrupts: NotRequired[list[dict[str, Any]]]
    state: dict[str, Any] | None


class CheckpointPayload(TypedDict):
    config: dict[str, Any] | None
    metadata: dict[str, Any]
    values: dict[str, Any]
    next: list[str]
    parent_config: dict[str, Any] | None
    tasks: list[CheckpointTaskPayload]


class _DebugCheckpointPayload(TypedDict):
    step: int
    timestamp: str
    type: Literal["checkpoint"]
    payload: CheckpointPayload


class _DebugTaskPayload(TypedDict):
    step: int
    timestamp: str
    type: Literal["task"]
    payload: TaskPayload


class _DebugTaskResultPayload(TypedDict):
    step: int
    timestamp: str
    type: Literal["task_result"]
    payload: TaskResultPayload


DebugPayload = _DebugCheckpointPayload | _DebugTaskPayload | _DebugTaskResultPayload


class RunMetadataPayload(TypedDict):
    run_id: str


class ValuesStreamPart(TypedDict):
    """v2 part: the full state after a step (``interrupts`` lifted out of the values)."""

    type: Literal["values"]
    ns: list[str]
    data: dict[str, Any]
    interrupts: list[dict[str, Any]]


class UpdatesStreamPart(TypedDict):
    type: Literal["updates"]
    ns: list[str]
    data: dict[str, Any]


class MessagesPartialStreamPart(TypedDict):
    type: Literal["messages/partial"]
    ns: list[str]
    data: list[dict[str, Any]]


class MessagesCompleteStreamPart(TypedDict):
    type: Literal["messages/complete"]
    ns: list[str]
    data: list[dict[str, Any]]


class MessagesMetadataStreamPart(TypedDict):
    type: Literal["messages/metadata"]
    ns: list[str]
    data: dict[str, Any]


class MessagesTupleStreamPart(TypedDict):
    type: Literal["messages"]
    ns: list[str]
    data: list[dict[str, Any]]


class CustomStreamPart(TypedDict):
    type: Literal["custom"]
    ns: list[str]
    data: Any


class CheckpointsStreamPart(TypedDict):
    type: Literal["checkpoints"]
    ns: list[str]
    data: CheckpointPayload


class TasksStreamPart(TypedDict):
    type: Literal["tasks"]
    ns: list[str]
    data: TaskPayload | TaskResultPayload


class DebugStreamPart(TypedDict):
    type: Literal["debug"]
    ns: list[str]
    data: DebugPayload


class MetadataStreamPart(TypedDict):
    type: Literal["metadata"]
    ns: list[str]
    data: RunMetadataPayload


StreamPartV2 = (
    ValuesStreamPart
    | UpdatesStreamPart
    | MessagesPartialStreamPart
    | MessagesCompleteStreamPart
    | MessagesMetadataStreamPart
    | MessagesTupleStreamPart
    | CustomStreamPart
    | CheckpointsStreamPart
    | TasksStreamPart
    | DebugStreamPart
    | MetadataStreamPart
)
"""A v2 stream part; narrow it on ``part["type"]``."""
