"""Assistants: one per graph at start, plus any the user creates; versions on update."""

from __future__ import annotations

import warnings
from typing import Any, get_type_hints

from pydantic import TypeAdapter

from tether.errors import BadRequest, Conflict, InvalidInput, NotFound
from tether.graphs import Graph, GraphRegistry
from tether.ids import assistant_id_for_graph, is_uuid, uuid7
from tether.ports import AssistantStore
from tether.records import now_iso
from tether.serialization import to_jsonable


class AssistantService:
    def __init__(self, store: AssistantStore, registry: GraphRegistry) -> None:
        self.store = store
        self.registry = registry

    async def ensure_graph_assistants(self) -> None:
        """The official default assistant of every graph, created once."""
        for graph_id, spec in self.registry.project.graphs.items():
            await self.store.create_assistant(
                self._new(
                    assistant_id_for_graph(graph_id),
                    graph_id,
                    name=graph_id,
                    description=spec.description,
                    metadata={"created_by": "system"},
                ),
                if_exists="do_nothing",
            )

    def _new(
        self,
        assistant_id: str,
        graph_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        config: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = now_iso()
        return {
            "assistant_id": assistant_id,
            "graph_id": graph_id,
            "name": name or "Untitled",
            "description": description,
            "config": config or {},
            "context": context or {},
            "metadata": metadata or {},
            "created_at": now,
            "updated_at": now,
        }

    def _check_graph(self, graph_id: str) -> None:
        if graph_id not in self.registry:
            raise NotFound(
                f"Graph '{graph_id}' not found. Available graphs: {', '.join(self.registry.graph_ids)}"
            )

    async def create(
        self,
        *,
        graph_id: str,
        assistant_id: str | None,
        if_exists: str | None,
        config: dict[str, Any] | None,
        context: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        name: str | None,
        description: str | None,
    ) -> dict[str, Any]:
        self._check_graph(graph_id)
        if assistant_id is not None and not is_uuid(assistant_id):
            raise InvalidInput("Invalid assistant ID: must be a UUID")
        record = self._new(
            assistant_id or uuid7(),
            graph_id,
            name=name,
            description=description,
            config=config,
            context=context,
            metadata=metadata,
        )
        created = await self.store.create_assistant(record, if_exists=if_exists or "raise")
        if created is None:
            raise Conflict(f"Assistant {record['assistant_id']} already exists")
        return created

    async def get(self, assistant_id: str) -> dict[str, Any]:
        found = await self.store.get_assistant(self._uuid(assistant_id))
        if found is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        return found

    async def resolve(self, assistant_id: str) -> dict[str, Any]:
        """An assistant by id or by graph name, as run bodies allow."""
        found = await self.store.get_assistant(self.lookup_id(assistant_id))
        if found is None:
            raise self.not_found(assistant_id)
        return found

    @staticmethod
    def not_found(assistant_id: str) -> NotFound:
        """The error for a run body's assistant (id or graph name) that does not exist."""
        if is_uuid(assistant_id):
            return NotFound("Thread or assistant not found.")
        return NotFound(f"Assistant {assistant_id_for_graph(assistant_id)} not found")

    def lookup_id(self, assistant_id: str) -> str:
        """The id of the assistant a run body names, by id or by graph name."""
        if is_uuid(assistant_id):
            return assistant_id
        if assistant_id in self.registry:
            return assistant_id_for_graph(assistant_id)
        raise InvalidInput(
            f"Invalid assistant: '{assistant_id}'. Must be either:\n"
            f"- A valid assistant UUID, or\n"
            f"- One of the registered graphs: {', '.join(self.registry.graph_ids)}"
        )

    @staticmethod
    def _uuid(assistant_id: str) -> str:
        if not is_uuid(assistant_id):
            raise InvalidInput("Invalid assistant ID: must be a UUID")
        return assistant_id

    async def update(self, assistant_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        if patch.get("graph_id") is not None:
            self._check_graph(patch["graph_id"])
        updated = await self.store.update_assistant(self._uuid(assistant_id), patch)
        if updated is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        return updated

    async def delete(self, assistant_id: str) -> None:
        if not await self.store.delete_assistant(self._uuid(assistant_id)):
            raise NotFound(f"Assistant {assistant_id} not found")

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        await self.get(assistant_id)
        return await self.store.assistant_versions(
            assistant_id, metadata=metadata, limit=limit, offset=offset
        )

    async def set_latest(self, assistant_id: str, version: int) -> dict[str, Any]:
        await self.get(assistant_id)
        found = await self.store.set_latest_version(assistant_id, version)
        if found is None:
            raise NotFound(f"Assistant {assistant_id} has no version {version}")
        return found

    async def _graph(self, assistant_id: str) -> tuple[dict[str, Any], Graph]:
        assistant = await self.get(assistant_id)
        async with self.registry.graph(assistant["graph_id"], assistant["config"]) as graph:
            return assistant, graph

    async def drawable_graph(self, assistant_id: str, xray: int | bool) -> dict[str, Any]:
        _, graph = await self._graph(assistant_id)
        try:
            drawn = graph.get_graph(xray=xray)
        except Exception as exc:
            raise BadRequest(f"Graph cannot be drawn: {exc}") from exc
        result: dict[str, Any] = to_jsonable(drawn.to_json())
        return result

    async def schemas(self, assistant_id: str) -> dict[str, Any]:
        assistant, graph = await self._graph(assistant_id)
        return {"graph_id": assistant["graph_id"], **_schemas(graph)}

    async def subgraphs(
        self, assistant_id: str, namespace: str | None, recurse: bool
    ) -> dict[str, Any]:
        _, graph = await self._graph(assistant_id)
        return {
            ns: _schemas(sub)  # type: ignore[arg-type]
            async for ns, sub in graph.aget_subgraphs(namespace=namespace, recurse=recurse)
        }


def _schemas(graph: Graph) -> dict[str, Any]:
    builder = getattr(graph, "builder", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_config_jsonschema is deprecated but still answered
        return {
            "input_schema": _json_schema(
                graph.get_input_jsonschema, getattr(builder, "input_schema", None)
            ),
            "output_schema": _json_schema(
                graph.get_output_jsonschema, getattr(builder, "output_schema", None)
            ),
            "state_schema": _json_schema(None, getattr(builder, "state_schema", None)),
            "config_schema": _json_schema(graph.get_config_jsonschema, None),
            "context_schema": _json_schema(
                graph.get_context_jsonschema, getattr(builder, "context_schema", None)
            ),
        }


def _json_schema(make: Any, schema_type: Any) -> dict[str, Any] | None:
    """A JSON schema from langgraph, else from the type itself (pydantic refuses
    `typing.TypedDict` before Python 3.12, which graphs commonly use)."""
    if make is not None:
        try:
            made: dict[str, Any] | None = make()
            return made
        except Exception:
            pass
    if schema_type is None:
        return None
    try:
        return dict(TypeAdapter(schema_type).json_schema())
    except Exception:
        pass
    hints = getattr(schema_type, "__annotations__", None)
    if not isinstance(hints, dict):
        return None
    properties: dict[str, Any] = {}
    for name, annotation in get_type_hints(schema_type, include_extras=False).items():
        try:
            properties[name] = TypeAdapter(annotation).json_schema()
        except Exception:
            properties[name] = {}
    schema: dict[str, Any] = {
        "title": schema_type.__name__,
        "type": "object",
        "properties": properties,
    }
    required = sorted(getattr(schema_type, "__required_keys__", ()))
    if required:
        schema["required"] = required
    return schema
