# Generated from tether_sdk/_async/assistants.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""Assistants: a graph plus a saved configuration, versioned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast, overload

from tether_sdk._core import assistants as build
from tether_sdk._core.wire import path
from tether_sdk._schema import (
    Assistant,
    AssistantSelectField,
    AssistantSortBy,
    AssistantsSearchResponse,
    AssistantVersion,
    Config,
    Context,
    GraphSchema,
    Json,
    OnConflictBehavior,
    QueryParamTypes,
    SortOrder,
    Subgraphs,
)
from tether_sdk._sync.http import SyncHttpClient


class SyncAssistantsClient:
    """Create, read, search, version and delete assistants.

    Every graph in the server's ``langgraph.json`` has a default assistant whose id can
    also be given as the graph's name.

    Example:
        ```python
        client = get_sync_client(url="http://localhost:2024")
        assistant = client.assistants.get("agent")
        ```
    """

    def __init__(self, http: SyncHttpClient) -> None:
        self.http = http

    def get(
        self,
        assistant_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Assistant:
        """Fetch one assistant.

        Args:
            assistant_id: The assistant's id (or, for a default assistant, its graph name).
            headers: Extra headers for this request.
            params: Extra query parameters for this request.

        Returns:
            The assistant. Raises ``NotFoundError`` if there is none with that id.

        Example:
            ```python
            assistant = client.assistants.get("agent")
            assistant["graph_id"]
            # -> 'agent'
            ```
        """
        return cast(
            Assistant,
            self.http.get(path("/assistants/{}", assistant_id), headers=headers, params=params),
        )

    def get_graph(
        self,
        assistant_id: str,
        *,
        xray: int | bool = False,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Fetch the drawable structure of the assistant's graph.

        Args:
            assistant_id: The assistant's id.
            xray: Also draw subgraphs: ``True`` for all levels, an int for that many.

        Returns:
            ``{"nodes": [...], "edges": [...]}``.

        Example:
            ```python
            graph = client.assistants.get_graph("agent")
            [node["id"] for node in graph["nodes"]]
            # -> ['__start__', 'step_a', 'step_b', 'step_c', '__end__']
            ```
        """
        return cast(
            dict[str, list[dict[str, Any]]],
            self.http.get(
                path("/assistants/{}/graph", assistant_id),
                params=build.graph_query(xray, params),
                headers=headers,
            ),
        )

    def get_schemas(
        self,
        assistant_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> GraphSchema:
        """Fetch the JSON schemas of the graph's input, output, state, config and context.

        Example:
            ```python
            schemas = client.assistants.get_schemas("agent")
            sorted(schemas["state_schema"]["properties"])
            # -> ['counter', 'delay', ...]
            ```
        """
        return cast(
            GraphSchema,
            self.http.get(
                path("/assistants/{}/schemas", assistant_id), headers=headers, params=params
            ),
        )

    def get_subgraphs(
        self,
        assistant_id: str,
        namespace: str | None = None,
        recurse: bool = False,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Subgraphs:
        """Fetch the schemas of the graph's subgraphs.

        Args:
            assistant_id: The assistant's id.
            namespace: Only the subgraph at this namespace.
            recurse: Include subgraphs of subgraphs.

        Returns:
            Schemas keyed by namespace.

        Example:
            ```python
            subgraphs = client.assistants.get_subgraphs("nested", recurse=True)
            list(subgraphs)
            # -> ['child']
            ```
        """
        template = (
            "/assistants/{}/subgraphs" if namespace is None else "/assistants/{}/subgraphs/{}"
        )
        values = (assistant_id,) if namespace is None else (assistant_id, namespace)
        return cast(
            Subgraphs,
            self.http.get(
                path(template, *values),
                params=build.subgraphs_query(recurse, params),
                headers=headers,
            ),
        )

    def create(
        self,
        graph_id: str | None,
        config: Config | None = None,
        *,
        context: Context | None = None,
        metadata: Json = None,
        assistant_id: str | None = None,
        if_exists: OnConflictBehavior | None = None,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        description: str | None = None,
        params: QueryParamTypes | None = None,
    ) -> Assistant:
        """Create an assistant for a graph.

        Args:
            graph_id: The graph, as named in ``langgraph.json``.
            config: Run config the assistant applies to its runs.
            context: Static context for its runs.
            metadata: Metadata to store (searchable).
            assistant_id: An id to use instead of a generated UUID.
            if_exists: ``"raise"`` (409, the default) or ``"do_nothing"`` (return the existing one).
            name: A human-readable name.
            description: A description.

        Example:
            ```python
            assistant = client.assistants.create(
                "agent", config={"configurable": {"model": "fake"}}, name="Fake agent"
            )
            ```
        """
        body = build.create_body(
            graph_id,
            config=config,
            context=context,
            metadata=metadata,
            assistant_id=assistant_id,
            if_exists=if_exists,
            name=name,
            description=description,
        )
        return cast(
            Assistant,
            self.http.post("/assistants", json=body, headers=headers, params=params),
        )

    def update(
        self,
        assistant_id: str,
        *,
        graph_id: str | None = None,
        config: Config | None = None,
        context: Context | None = None,
        metadata: Json = None,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        description: str | None = None,
        params: QueryParamTypes | None = None,
    ) -> Assistant:
        """Change an assistant, which saves a new version and makes it the latest.

        Fields left as ``None`` keep their value; pass ``config={}`` or ``context={}`` to
        clear those.

        Example:
            ```python
            updated = client.assistants.update(assistant_id, name="Renamed")
            updated["version"]
            # -> 2
            ```
        """
        body = build.update_body(
            graph_id=graph_id,
            config=config,
            context=context,
            metadata=metadata,
            name=name,
            description=description,
        )
        return cast(
            Assistant,
            self.http.patch(
                path("/assistants/{}", assistant_id), json=body, headers=headers, params=params
            ),
        )

    def delete(
        self,
        assistant_id: str,
        *,
        delete_threads: bool = False,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Delete an assistant (and, with ``delete_threads=True``, the threads it ran on).

        Example:
            ```python
            client.assistants.delete(assistant_id)
            ```
        """
        self.http.delete(
            path("/assistants/{}", assistant_id),
            headers=headers,
            params=build.delete_query(delete_threads, params),
        )

    @overload
    def search(
        self,
        *,
        metadata: Json = None,
        graph_id: str | None = None,
        name: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: AssistantSortBy | None = None,
        sort_order: SortOrder | None = None,
        select: list[AssistantSelectField] | None = None,
        response_format: Literal["object"],
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> AssistantsSearchResponse: ...

    @overload
    def search(
        self,
        *,
        metadata: Json = None,
        graph_id: str | None = None,
        name: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: AssistantSortBy | None = None,
        sort_order: SortOrder | None = None,
        select: list[AssistantSelectField] | None = None,
        response_format: Literal["array"] = "array",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> list[Assistant]: ...

    def search(
        self,
        *,
        metadata: Json = None,
        graph_id: str | None = None,
        name: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: AssistantSortBy | None = None,
        sort_order: SortOrder | None = None,
        select: list[AssistantSelectField] | None = None,
        response_format: Literal["array", "object"] = "array",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> AssistantsSearchResponse | list[Assistant]:
        """Find assistants by metadata, graph or name.

        Args:
            metadata: Only assistants whose metadata contains these pairs.
            graph_id: Only assistants of this graph.
            name: Only assistants whose name contains this text.
            limit: Page size.
            offset: Items to skip.
            sort_by: Field to sort by.
            sort_order: ``"asc"`` or ``"desc"``.
            select: Return only these fields.
            response_format: ``"array"`` returns a list; ``"object"`` returns
                ``{"assistants": [...], "next": <cursor or None>}`` from the
                ``X-Pagination-Next`` header.

        Example:
            ```python
            page = client.assistants.search(graph_id="agent", response_format="object")
            page["next"]
            ```
        """
        body = build.search_body(
            limit=limit,
            offset=offset,
            response_format=response_format,
            metadata=metadata,
            graph_id=graph_id,
            name=name,
            sort_by=sort_by,
            sort_order=sort_order,
            select=select,
        )
        cursor = build.PageCursor()
        assistants = self.http.post(
            "/assistants/search",
            json=body,
            headers=headers,
            params=params,
            on_response=cursor.hook(response_format),
        )
        return cast(
            "AssistantsSearchResponse | list[Assistant]", cursor.result(assistants, response_format)
        )

    def count(
        self,
        *,
        metadata: Json = None,
        graph_id: str | None = None,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> int:
        """Count the assistants matching the same filters as ``search``.

        Example:
            ```python
            client.assistants.count(graph_id="agent")
            # -> 1
            ```
        """
        body = build.count_body(metadata=metadata, graph_id=graph_id, name=name)
        return cast(
            int,
            self.http.post("/assistants/count", json=body, headers=headers, params=params),
        )

    def get_versions(
        self,
        assistant_id: str,
        metadata: Json = None,
        limit: int = 10,
        offset: int = 0,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> list[AssistantVersion]:
        """List the saved versions of an assistant, newest first.

        Example:
            ```python
            versions = client.assistants.get_versions(assistant_id)
            [v["version"] for v in versions]
            # -> [2, 1]
            ```
        """
        return cast(
            list[AssistantVersion],
            self.http.post(
                path("/assistants/{}/versions", assistant_id),
                json=build.versions_body(metadata, limit, offset),
                headers=headers,
                params=params,
            ),
        )

    def set_latest(
        self,
        assistant_id: str,
        version: int,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Assistant:
        """Make an earlier version the one new runs use.

        Example:
            ```python
            assistant = client.assistants.set_latest(assistant_id, 1)
            ```
        """
        return cast(
            Assistant,
            self.http.post(
                path("/assistants/{}/latest", assistant_id),
                json={"version": version},
                headers=headers,
                params=params,
            ),
        )
