"""Threads its owner shares with others (`metadata.shared_with`): filters no SQL metadata
filter can express, so Tether applies them while paging. The thread is stamped on
`threads.create` only (a run's handler returns a filter and stamps nothing). One user,
mallory, may neither start runs nor list assistants."""

from typing import Any

from langgraph_sdk import Auth
from starlette.requests import Request

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None, request: Request) -> str:
    if not authorization:
        raise Auth.exceptions.HTTPException(401, "Who are you?")
    await request.body()  # a handler may read the body: the route still gets it
    return authorization.removeprefix("Bearer ")


@auth.on.threads.create
async def stamp(ctx: Auth.types.AuthContext, value: Any) -> None:
    value["metadata"]["owner"] = ctx.user.identity


@auth.on.threads
async def owner_or_shared(ctx: Auth.types.AuthContext, value: Any) -> Any:
    me = ctx.user.identity
    if me == "mallory" and ctx.action == "create_run":
        raise Auth.exceptions.HTTPException(403, "mallory may not start runs")
    return {"$or": [{"owner": me}, {"shared_with": {"$contains": me}}]}


@auth.on.store
async def readers_only(ctx: Auth.types.AuthContext, value: Any) -> Any:
    if ctx.action == "search":
        return {"readers": {"$contains": ctx.user.identity}}
    return None


@auth.on.crons
async def no_crons(ctx: Auth.types.AuthContext, value: Any) -> None:
    raise Auth.exceptions.HTTPException(403, "Crons are off", headers={"X-Reason": "policy"})


@auth.on.assistants.create
async def no_assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    return False


@auth.on.assistants.search
async def no_listing_for_mallory(ctx: Auth.types.AuthContext, value: Any) -> None:
    if ctx.user.identity == "mallory":
        raise Auth.exceptions.HTTPException(403, "No assistants for mallory")
