"""A project's own HTTP app (`http.app`): a route of its own, one that shadows Tether's
`GET /info`, and a lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

events: list[str] = []


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    events.append("started")
    yield
    events.append("stopped")


app = FastAPI(lifespan=lifespan)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.get("/info")
async def info() -> dict[str, str]:
    return {"served_by": "the project"}
