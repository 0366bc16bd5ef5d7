"""A2A's two JSON dialects: v0.3 (`kind` tags, `message/send`, lower-case states) and
v1.0 (ProtoJSON: `SendMessage`, `TASK_STATE_COMPLETED`, `ROLE_AGENT`, parts without tags).

The method name a client calls picks the dialect of the answer, as on the official server.
`A2AService` works in v0.3; this pure module converts at the edge.
"""

from __future__ import annotations

from typing import Any

#: v1.0 method name -> the v0.3 name it is served as (`ListTasks` has no v0.3 twin).
V1_METHODS = {
    "SendMessage": "message/send",
    "SendStreamingMessage": "message/stream",
    "GetTask": "tasks/get",
    "CancelTask": "tasks/cancel",
    "SubscribeToTask": "tasks/resubscribe",
    "GetExtendedAgentCard": "agent/getAuthenticatedExtendedCard",
    "ListTasks": "tasks/list",
}
V03_METHODS = frozenset(
    {
        "message/send",
        "message/stream",
        "tasks/get",
        "tasks/cancel",
        "tasks/resubscribe",
        "agent/getAuthenticatedExtendedCard",
    }
)

_ROLES_V1 = {"user": "ROLE_USER", "agent": "ROLE_AGENT"}
_ROLES_V03 = {v: k for k, v in _ROLES_V1.items()}


def state_v1(state: str) -> str:
    """`input-required` -> `TASK_STATE_INPUT_REQUIRED`."""
    return "TASK_STATE_" + state.upper().replace("-", "_")


def part_v1(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("kind")
    out: dict[str, Any] = {}
    if kind == "text":
        out["text"] = part.get("text", "")
    elif kind == "data":
        out["data"] = part.get("data")
    elif kind == "file":
        file = part.get("file") or {}
        if file.get("uri"):
            out["url"] = file["uri"]
        if file.get("bytes"):
            out["raw"] = file["bytes"]
        if file.get("mimeType"):
            out["mediaType"] = file["mimeType"]
        if file.get("name"):
            out["filename"] = file["name"]
    if part.get("metadata"):
        out["metadata"] = part["metadata"]
    return out


def part_v03(part: Any) -> Any:
    """A v1.0 part as v0.3 (anything unrecognised is passed on for the service to refuse)."""
    if not isinstance(part, dict) or "kind" in part:
        return part
    if "text" in part:
        return {"kind": "text", "text": part["text"]}
    if "data" in part:
        return {"kind": "data", "data": part["data"]}
    if "url" in part or "raw" in part:
        file = {
            key: part[source]
            for key, source in (
                ("uri", "url"),
                ("bytes", "raw"),
                ("mimeType", "mediaType"),
                ("name", "filename"),
            )
            if part.get(source)
        }
        return {"kind": "file", "file": file}
    return part


def message_v1(message: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in message.items() if k not in ("kind", "role", "parts")}
    out["role"] = _ROLES_V1.get(message.get("role", ""), "ROLE_UNSPECIFIED")
    out["parts"] = [part_v1(p) for p in message.get("parts") or []]
    return out


def message_v03(message: Any) -> Any:
    """An incoming v1.0 message as v0.3."""
    if not isinstance(message, dict):
        return message
    out = dict(message)
    out["kind"] = "message"
    if message.get("role") in _ROLES_V03:
        out["role"] = _ROLES_V03[message["role"]]
    if isinstance(message.get("parts"), list):
        out["parts"] = [part_v03(p) for p in message["parts"]]
    return out


def status_v1(status: dict[str, Any]) -> dict[str, Any]:
    out = dict(status)
    out["state"] = state_v1(status["state"])
    if isinstance(status.get("message"), dict):
        out["message"] = message_v1(status["message"])
    return out


def artifact_v1(artifact: dict[str, Any]) -> dict[str, Any]:
    return {**artifact, "parts": [part_v1(p) for p in artifact.get("parts") or []]}


def task_v1(task: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in task.items() if k != "kind"}
    out["status"] = status_v1(task["status"])
    out["history"] = [message_v1(m) for m in task.get("history") or []]
    out["artifacts"] = [artifact_v1(a) for a in task.get("artifacts") or []]
    return out


def stream_item_v1(item: dict[str, Any]) -> dict[str, Any]:
    """A v0.3 stream event as a v1.0 `StreamResponse` (one of task, statusUpdate, artifactUpdate)."""
    kind = item.get("kind")
    if kind == "task":
        return {"task": task_v1(item)}
    if kind == "message":
        return {"message": message_v1(item)}
    body = {k: v for k, v in item.items() if k not in ("kind", "final")}
    if kind == "status-update":
        body["status"] = status_v1(item["status"])
        return {"statusUpdate": body}
    body["artifact"] = artifact_v1(item["artifact"])
    return {"artifactUpdate": body}


def params_v03(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """v1.0 request params as the service reads them (v0.3)."""
    if method in ("SendMessage", "SendStreamingMessage") and "message" in params:
        return {**params, "message": message_v03(params["message"])}
    return params
