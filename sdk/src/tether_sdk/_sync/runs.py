# Generated from tether_sdk/_async/runs.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""Runs: executions of an assistant, on a thread or stateless."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, cast, overload

from tether_sdk._core import runs as build
from tether_sdk._core.wire import path, resume_headers
from tether_sdk._schema import (
    All,
    BulkCancelRunsStatus,
    CancelAction,
    Checkpoint,
    Command,
    Config,
    Context,
    DisconnectMode,
    Durability,
    IfNotExists,
    Input,
    LangSmithTracing,
    MultitaskStrategy,
    OnCompletionBehavior,
    QueryParamTypes,
    Run,
    RunCreate,
    RunCreateMetadata,
    RunSelectField,
    RunStatus,
    StreamMode,
    StreamPart,
    StreamPartV2,
    StreamVersion,
)
from tether_sdk._sync.http import SyncHttpClient


class SyncRunsClient:
    """Start, stream, wait for, join, list, cancel and delete runs.

    A run with ``thread_id=None`` is stateless: it gets a temporary thread.

    Example:
        ```python
        client = get_sync_client(url="http://localhost:2024")
        for part in client.runs.stream(None, "agent", input={"messages": []}):
            print(part.event, part.data)
        ```
    """

    def __init__(self, http: SyncHttpClient) -> None:
        self.http = http

    @overload
    def stream(
        self,
        thread_id: str | None,
        assistant_id: str,
        *,
        input: Input | None = None,
        command: Command | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] = "values",
        stream_subgraphs: bool = False,
        stream_resumable: bool = False,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        feedback_keys: Sequence[str] | None = None,
        on_disconnect: DisconnectMode | None = None,
        on_completion: OnCompletionBehavior | None = None,
        webhook: str | None = None,
        multitask_strategy: MultitaskStrategy | None = None,
        if_not_exists: IfNotExists | None = None,
        after_seconds: int | None = None,
        langsmith_tracing: LangSmithTracing | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        on_run_created: Callable[[RunCreateMetadata], None] | None = None,
        durability: Durability | None = None,
        strict_resume: bool | None = None,
        version: Literal["v1"] = "v1",
    ) -> Iterator[StreamPart]: ...

    @overload
    def stream(
        self,
        thread_id: str | None,
        assistant_id: str,
        *,
        input: Input | None = None,
        command: Command | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] = "values",
        stream_subgraphs: bool = False,
        stream_resumable: bool = False,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        feedback_keys: Sequence[str] | None = None,
        on_disconnect: DisconnectMode | None = None,
        on_completion: OnCompletionBehavior | None = None,
        webhook: str | None = None,
        multitask_strategy: MultitaskStrategy | None = None,
        if_not_exists: IfNotExists | None = None,
        after_seconds: int | None = None,
        langsmith_tracing: LangSmithTracing | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        on_run_created: Callable[[RunCreateMetadata], None] | None = None,
        durability: Durability | None = None,
        strict_resume: bool | None = None,
        version: Literal["v2"],
    ) -> Iterator[StreamPartV2]: ...

    def stream(
        self,
        thread_id: str | None,
        assistant_id: str,
        *,
        input: Input | None = None,
        command: Command | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] = "values",
        stream_subgraphs: bool = False,
        stream_resumable: bool = False,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        feedback_keys: Sequence[str] | None = None,
        on_disconnect: DisconnectMode | None = None,
        on_completion: OnCompletionBehavior | None = None,
        webhook: str | None = None,
        multitask_strategy: MultitaskStrategy | None = None,
        if_not_exists: IfNotExists | None = None,
        after_seconds: int | None = None,
        langsmith_tracing: LangSmithTracing | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        on_run_created: Callable[[RunCreateMetadata], None] | None = None,
        durability: Durability | None = None,
        strict_resume: bool | None = None,
        version: StreamVersion = "v1",
    ) -> Iterator[StreamPart] | Iterator[StreamPartV2]:
        """Create a run and stream its events as they happen.

        Nothing is sent until you start iterating. If the connection drops, the client
        reconnects to the run's stream and continues after the last event it delivered,
        never delivering an event twice (see ``StreamResumeError`` for when it cannot).

        Args:
            thread_id: The thread to run on, or ``None`` for a stateless run.
            assistant_id: The assistant, or the name of a graph.
            input: The graph input.
            command: Resume, update or redirect instead of (or with) ``input``.
            stream_mode: What to stream: ``"values"``, ``"updates"``, ``"messages-tuple"``,
                ``"custom"``, ``"debug"``… or a list of them.
            stream_subgraphs: Also stream events from subgraphs (named ``<mode>|<namespace>``).
            stream_resumable: Keep the events so the stream can be rejoined from an event id.
            metadata: Metadata of the run.
            config: Run config.
            context: Static context.
            checkpoint: Start from this checkpoint.
            checkpoint_id: Start from the checkpoint with this id.
            checkpoint_during: Deprecated, use ``durability``.
            interrupt_before: Pause before these nodes (``"*"`` for all).
            interrupt_after: Pause after these nodes.
            feedback_keys: LangSmith feedback keys to create tokens for.
            on_disconnect: ``"cancel"`` the run or ``"continue"`` it if the client goes away.
            on_completion: For stateless runs: ``"delete"`` or ``"keep"`` the temporary thread.
            webhook: URL to POST to when the run ends.
            multitask_strategy: What to do if the thread is busy.
            if_not_exists: ``"create"`` the thread if missing, or ``"reject"``.
            after_seconds: Start the run after this delay.
            langsmith_tracing: LangSmith project and example to trace to.
            headers: Extra headers for the request.
            params: Extra query parameters for the request.
            on_run_created: Called with ``{"run_id", "thread_id"}`` once the run exists.
            durability: When checkpoints are written.
            strict_resume: Fail a ``command`` resume that does not match a pending interrupt.
            version: ``"v1"`` yields ``StreamPart(event, data, id)``; ``"v2"`` yields dicts
                ``{"type", "ns", "data", "interrupts"}``.

        Example:
            ```python
            for part in client.runs.stream(
                thread_id, "agent", input={"delay": 0.1}, stream_mode=["updates", "custom"]
            ):
                print(part.event, part.data)
            ```
        """
        build.warn_checkpoint_during(checkpoint_during)
        body = build.run_body(
            input=input,
            command=command,
            config=config,
            context=context,
            metadata=metadata,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            stream_resumable=stream_resumable,
            assistant_id=assistant_id,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            feedback_keys=feedback_keys,
            webhook=webhook,
            checkpoint=checkpoint,
            checkpoint_id=checkpoint_id,
            checkpoint_during=checkpoint_during,
            multitask_strategy=multitask_strategy,
            if_not_exists=if_not_exists,
            on_disconnect=on_disconnect,
            on_completion=on_completion,
            after_seconds=after_seconds,
            durability=durability,
            strict_resume=strict_resume,
            langsmith_tracing=langsmith_tracing,
        )
        parts = self.http.stream(
            "/runs/stream" if thread_id is None else path("/threads/{}/runs/stream", thread_id),
            "POST",
            json=body,
            params=params,
            headers=headers,
            on_response=build.run_created_hook(on_run_created),
        )
        return _as_v2(parts) if version == "v2" else parts

    def create(
        self,
        thread_id: str | None,
        assistant_id: str,
        *,
        input: Input | None = None,
        command: Command | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] = "values",
        stream_subgraphs: bool = False,
        stream_resumable: bool = False,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        webhook: str | None = None,
        multitask_strategy: MultitaskStrategy | None = None,
        if_not_exists: IfNotExists | None = None,
        on_completion: OnCompletionBehavior | None = None,
        after_seconds: int | None = None,
        langsmith_tracing: LangSmithTracing | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        on_run_created: Callable[[RunCreateMetadata], None] | None = None,
        durability: Durability | None = None,
        strict_resume: bool | None = None,
    ) -> Run:
        """Create a background run and return it at once (status ``pending``).

        Arguments are those of ``stream`` (``stream_mode`` and friends decide what a later
        ``join_stream`` can see). An empty ``thread_id`` creates a stateless run.

        Example:
            ```python
            run = client.runs.create(thread_id, "agent", input={"delay": 0.1})
            result = client.runs.join(thread_id, run["run_id"])
            ```
        """
        build.warn_checkpoint_during(checkpoint_during)
        body = build.run_body(
            input=input,
            command=command,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            stream_resumable=stream_resumable,
            config=config,
            context=context,
            metadata=metadata,
            assistant_id=assistant_id,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            webhook=webhook,
            checkpoint=checkpoint,
            checkpoint_id=checkpoint_id,
            checkpoint_during=checkpoint_during,
            multitask_strategy=multitask_strategy,
            if_not_exists=if_not_exists,
            on_completion=on_completion,
            after_seconds=after_seconds,
            durability=durability,
            strict_resume=strict_resume,
            langsmith_tracing=langsmith_tracing,
        )
        return cast(
            Run,
            self.http.post(
                path("/threads/{}/runs", thread_id) if thread_id else "/runs",
                json=body,
                params=params,
                headers=headers,
                on_response=build.run_created_hook(on_run_created),
            ),
        )

    def create_batch(
        self,
        payloads: builtins.list[RunCreate],
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> builtins.list[Run]:
        """Create several background runs in one request.

        Example:
            ```python
            runs = client.runs.create_batch([
                {"assistant_id": "trivial", "thread_id": None, "input": {}},
                {"assistant_id": "trivial", "thread_id": thread_id, "input": {}},
            ])
            ```
        """
        return cast(
            builtins.list[Run],
            self.http.post(
                "/runs/batch",
                json=build.batch_body(cast(Sequence[Mapping[str, Any]], payloads)),
                headers=headers,
                params=params,
            ),
        )

    def wait(
        self,
        thread_id: str | None,
        assistant_id: str,
        *,
        input: Input | None = None,
        command: Command | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        webhook: str | None = None,
        on_disconnect: DisconnectMode | None = None,
        on_completion: OnCompletionBehavior | None = None,
        multitask_strategy: MultitaskStrategy | None = None,
        if_not_exists: IfNotExists | None = None,
        after_seconds: int | None = None,
        langsmith_tracing: LangSmithTracing | None = None,
        raise_error: bool = True,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        on_run_created: Callable[[RunCreateMetadata], None] | None = None,
        durability: Durability | None = None,
        strict_resume: bool | None = None,
    ) -> builtins.list[dict[str, Any]] | dict[str, Any]:
        """Create a run, wait for it to finish and return the thread's final values.

        If the response is cut off, the client fetches the result again from the run's
        ``join`` URL. Arguments are those of ``stream``.

        Args:
            raise_error: If the run failed, raise ``Exception("<error>: <message>")``
                instead of returning ``{"__error__": {...}}``.

        Example:
            ```python
            values = client.runs.wait(None, "trivial", input={"counter": 0})
            values["counter"]
            # -> 1
            ```
        """
        build.warn_checkpoint_during(checkpoint_during)
        body = build.run_body(
            input=input,
            command=command,
            config=config,
            context=context,
            metadata=metadata,
            assistant_id=assistant_id,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            webhook=webhook,
            checkpoint=checkpoint,
            checkpoint_id=checkpoint_id,
            multitask_strategy=multitask_strategy,
            checkpoint_during=checkpoint_during,
            if_not_exists=if_not_exists,
            on_disconnect=on_disconnect,
            on_completion=on_completion,
            after_seconds=after_seconds,
            durability=durability,
            strict_resume=strict_resume,
            langsmith_tracing=langsmith_tracing,
        )
        result = self.http.request_reconnect(
            "/runs/wait" if thread_id is None else path("/threads/{}/runs/wait", thread_id),
            "POST",
            json=body,
            params=params,
            headers=headers,
            on_response=build.run_created_hook(on_run_created),
            reconnect_limit=self.http.reconnect.max_attempts,
        )
        return cast(
            "builtins.list[dict[str, Any]] | dict[str, Any]", build.wait_result(result, raise_error)
        )

    def list(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        status: RunStatus | None = None,
        select: builtins.list[RunSelectField] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> builtins.list[Run]:
        """List the runs of a thread, newest first.

        Example:
            ```python
            runs = client.runs.list(thread_id, status="success", select=["run_id", "status"])
            ```
        """
        return cast(
            builtins.list[Run],
            self.http.get(
                path("/threads/{}/runs", thread_id),
                params=build.list_query(limit, offset, status, select, params),
                headers=headers,
            ),
        )

    def get(
        self,
        thread_id: str,
        run_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Run:
        """Fetch one run.

        Example:
            ```python
            run = client.runs.get(thread_id, run_id)
            run["status"]
            # -> 'success'
            ```
        """
        return cast(
            Run,
            self.http.get(
                path("/threads/{}/runs/{}", thread_id, run_id), headers=headers, params=params
            ),
        )

    def cancel(
        self,
        thread_id: str,
        run_id: str,
        *,
        wait: bool = False,
        action: CancelAction = "interrupt",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Cancel a pending or running run.

        Args:
            thread_id: The run's thread.
            run_id: The run.
            wait: Return only once the run has stopped.
            action: ``"interrupt"`` keeps the run's checkpoints; ``"rollback"`` deletes the
                run and everything it wrote.

        Example:
            ```python
            client.runs.cancel(thread_id, run_id, wait=True)
            ```
        """
        query = build.cancel_query(wait, action, params)
        cancel_path = path("/threads/{}/runs/{}/cancel", thread_id, run_id)
        if wait:
            return cast(
                None,
                self.http.request_reconnect(
                    cancel_path,
                    "POST",
                    params=query,
                    headers=headers,
                    reconnect_limit=self.http.reconnect.max_attempts,
                ),
            )
        return cast(None, self.http.post(cancel_path, json=None, params=query, headers=headers))

    def cancel_many(
        self,
        *,
        thread_id: str | None = None,
        run_ids: Sequence[str] | None = None,
        status: BulkCancelRunsStatus | None = None,
        action: CancelAction = "interrupt",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Cancel several runs: by ids, by thread, or by status.

        Example:
            ```python
            client.runs.cancel_many(thread_id=thread_id, status="pending")
            ```
        """
        self.http.post(
            "/runs/cancel",
            json=build.cancel_many_body(thread_id=thread_id, run_ids=run_ids, status=status),
            headers=headers,
            params=build.action_query(action, params),
        )

    def join(
        self,
        thread_id: str,
        run_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> dict[str, Any]:
        """Wait for a run to finish and return the thread's final values.

        Example:
            ```python
            values = client.runs.join(thread_id, run_id)
            ```
        """
        return cast(
            dict[str, Any],
            self.http.request_reconnect(
                path("/threads/{}/runs/{}/join", thread_id, run_id),
                "GET",
                headers=headers,
                params=params,
                reconnect_limit=self.http.reconnect.max_attempts,
            ),
        )

    def join_stream(
        self,
        thread_id: str,
        run_id: str,
        *,
        cancel_on_disconnect: bool = False,
        stream_mode: StreamMode | Sequence[StreamMode] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
        last_event_id: str | None = None,
    ) -> Iterator[StreamPart]:
        """Stream the events of a run that is already going.

        Without ``last_event_id`` you get the events from now on; with it you get every
        event after that id first (``"0"`` for all of them), if the run keeps its events
        (always on Tether; ``stream_resumable=True`` on the official server).

        Args:
            thread_id: The run's thread.
            run_id: The run.
            cancel_on_disconnect: Cancel the run if this client disconnects.
            stream_mode: A subset of the run's stream modes to receive.
            last_event_id: Resume after this event id.

        Example:
            ```python
            for part in client.runs.join_stream(thread_id, run_id, last_event_id=last_id):
                print(part.id, part.event)
            ```
        """
        return self.http.stream(
            path("/threads/{}/runs/{}/stream", thread_id, run_id),
            "GET",
            params=build.join_stream_query(cancel_on_disconnect, stream_mode, params),
            headers=resume_headers(last_event_id, headers),
        )

    def delete(
        self,
        thread_id: str,
        run_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Delete a finished run.

        Example:
            ```python
            client.runs.delete(thread_id, run_id)
            ```
        """
        self.http.delete(
            path("/threads/{}/runs/{}", thread_id, run_id), headers=headers, params=params
        )


def _as_v2(parts: Iterator[StreamPart]) -> Iterator[StreamPartV2]:
    for part in parts:
        if (converted := build.to_v2(part)) is not None:
            yield cast(StreamPartV2, converted)
