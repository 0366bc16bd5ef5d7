"""ASGI guards in front of the routes: what a web page or an oversized body may not do.

- `HostGuard`: a request whose `Host` is not a name of this server gets 400, so a page on a
  domain that re-resolves to 127.0.0.1 (DNS rebinding) cannot reach a laptop's server.
- `Cors`: CORS from langgraph.json's `http.cors` (default: loopback origins and the hosted
  Studio, with the private-network preflight header it needs); a state-changing request
  from a page of another, not allowed origin gets 403 (a browser sends some without asking).
- `BodyLimit`: a request body over `max_body_bytes` gets 413 before it is read.
- `CanonicalIds`: any way of writing a UUID in the path names the same thread, run, ...
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tether.api.responses import json_response
from tether.http_options import HttpOptions
from tether.ids import canonical_uuid
from tether.settings import Settings

#: The official hosted Studio (LangSmith), which calls a local server from the browser.
STUDIO_ORIGINS = ["https://smith.langchain.com", "https://eu.smith.langchain.com"]
#: Pages served from this machine, on any port.
LOOPBACK_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (where only this machine can connect)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(settings: Settings, raw_config: dict[str, Any]) -> str | None:
    """A loud warning when the server listens beyond this machine with no auth configured."""
    if is_loopback(settings.host) or raw_config.get("auth"):
        return None
    where = "every network interface" if settings.host in _WILDCARD_HOSTS else settings.host
    return (
        f"WARNING: tether listens on {where} and langgraph.json configures no auth: anyone"
        " who can reach this port can read, change and run every thread. Add auth, or put"
        " the server behind a proxy that checks callers, or listen on 127.0.0.1."
    )


class HostGuard:
    """Answers only requests whose `Host` names this server: loopback names, any IP address
    (a rebinding page always uses a domain name), the address it listens on, this machine's
    names when it listens on every interface, and `settings.allowed_hosts` (`*`: any)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        names = set(settings.host_names)
        self.any_host = "*" in names
        host = settings.host.strip("[]").lower()
        if host in _WILDCARD_HOSTS:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        else:
            names.add(host)
        self.names = frozenset(names)

    def allowed(self, host_header: str) -> bool:
        if self.any_host:
            return True
        host = host_header.strip().lower()
        if host.startswith("["):
            host = host[1 : host.find("]")]
        else:
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        host = host.rstrip(".")
        if host in self.names or is_loopback(host):
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = _header(scope, b"host")
            if host is not None and not self.allowed(host):
                response = json_response(
                    {
                        "detail": f"Invalid host header: {host!r} is not a name of this server"
                        " (allow it with --allowed-hosts or TETHER_ALLOWED_HOSTS)"
                    },
                    status_code=400,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def cors_options(http: HttpOptions) -> dict[str, Any]:
    """CORSMiddleware's arguments: langgraph.json's `http.cors`, each setting it leaves out
    taken from Tether's default (loopback origins and the hosted Studio; never `*`)."""
    options: dict[str, Any] = {
        "allow_origins": STUDIO_ORIGINS,
        "allow_origin_regex": LOOPBACK_ORIGINS,
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "allow_credentials": True,
        "expose_headers": [
            "Location",
            "Content-Location",
            "X-Pagination-Next",
            "X-Pagination-Total",
        ],
        "max_age": 600,
        "allow_private_network": True,
    }
    if http.cors is not None:
        if "allow_origins" in http.cors and "allow_origin_regex" not in http.cors:
            options["allow_origin_regex"] = None  # the origins given are the whole list
        options.update(http.cors)
    if "*" in options["allow_origins"]:
        options["allow_credentials"] = False  # browsers refuse credentials with `*`
    return options


class Cors(CORSMiddleware):
    """Starlette's CORS, and a 403 for a state-changing request from a page whose origin
    is neither allowed nor this server's own."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        super().__init__(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            origin = _header(scope, b"origin")
            if (
                origin is not None
                and not self.is_allowed_origin(origin)
                and urlsplit(origin).netloc.lower() != (_header(scope, b"host") or "").lower()
            ):
                response = json_response(
                    {"detail": f"Origin {origin!r} is not allowed (http.cors in langgraph.json)"},
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class CanonicalIds:
    """Rewrites ids in the path to the canonical UUID form (`/threads/{ID}`,
    `/threads/urn:uuid:id`, dashless or upper case all name the thread `id`), as the
    official server reads them; bodies get the same through the request models."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            canonical = "/".join(canonical_uuid(part) for part in path.split("/"))
            if canonical != path:
                scope = {**scope, "path": canonical, "raw_path": quote(canonical).encode()}
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body too large: more than {limit} bytes"
            " (raise the limit with --max-body-bytes or TETHER_MAX_BODY_BYTES)",
        )


class BodyLimit:
    """Refuses a body over `max_bytes` with 413: at once when its `Content-Length` says so,
    or as soon as the bytes read pass the limit (chunked bodies), never holding more."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.max_bytes)
        response = json_response({"detail": error.detail}, status_code=413)
        # The client may still be sending: uvicorn closes the connection after this.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)


def install(app: Any, settings: Settings, http: HttpOptions) -> None:
    """Add the guards to a Starlette/FastAPI app (the last added runs first)."""
    app.add_middleware(CanonicalIds)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Cors, **cors_options(http))
    app.add_middleware(HostGuard, settings=settings)
