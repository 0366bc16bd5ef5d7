"""The project's own routes (`http.app`), served beside the server's."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": request.query_params.get("name", "world")})


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"echo": await request.json()}, status_code=201)


app = Starlette(
    routes=[Route("/custom/hello", hello), Route("/custom/echo", echo, methods=["POST"])]
)
