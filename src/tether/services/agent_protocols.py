"""Which agent protocols (MCP, A2A) a project serves: `http.disable_mcp` and
`http.disable_a2a` in its langgraph.json turn them off (their routes answer 404)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Protocol = Literal["mcp", "a2a"]


def protocol_enabled(project_config: Mapping[str, Any], protocol: Protocol) -> bool:
    """False when the `http` section of `langgraph.json` says `"disable_<protocol>": true`.

    >>> protocol_enabled({"http": {"disable_mcp": True}}, "mcp")
    False
    """
    http = project_config.get("http")
    return not (isinstance(http, Mapping) and http.get(f"disable_{protocol}") is True)
