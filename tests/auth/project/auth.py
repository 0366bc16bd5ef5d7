"""A typical project's auth: bearer tokens (or the SDK's `x-api-key`), every resource
stamped with its owner and filtered to it, the store scoped to the user's namespace."""

from typing import Any

from langgraph_sdk import Auth

auth = Auth()

USERS = {
    "token-alice": {"identity": "alice", "permissions": ["read", "write"], "org": "acme"},
    "token-bob": {"identity": "bob", "permissions": ["read"], "org": "globex"},
}


@auth.authenticate
async def authenticate(authorization: str | None, headers: dict[bytes, bytes]) -> Any:
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:]
    elif b"x-api-key" in headers:
        token = headers[b"x-api-key"].decode()
    if token not in USERS:
        raise Auth.exceptions.HTTPException(
            401, "Invalid or missing token", headers={"WWW-Authenticate": "Bearer"}
        )
    return USERS[token]


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> Any:
    metadata = value.get("metadata") if isinstance(value, dict) else None
    if ctx.action in ("create", "create_run") and isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on.store
async def own_namespace(ctx: Auth.types.AuthContext, value: Any) -> None:
    value["namespace"] = (ctx.user.identity, *(value.get("namespace") or ()))
