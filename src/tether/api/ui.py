"""Routes: /ui, the built-in web UI (a single page application).

`/ui/assets/*` are the UI's files; every other path under `/ui` (`/ui/threads/<id>`, a deep
link that was bookmarked) gets the page itself, whose script then shows what the path names.
The page and its assets are public, like the official server's `/ui` (they hold no data): the
data comes from the API, which the page calls with the user's token when one is set.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from tether.ui import STATIC_DIR

router = APIRouter(include_in_schema=False)

#: The page may load and call only this server: no script, style, font or request elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


class _Assets(StaticFiles):
    """The UI's files, revalidated on every load (ETag), so an upgrade is seen at once."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(request: Request) -> Response:
    # The page names the mount point of the server (its ASGI root path, set behind a proxy
    # that serves Tether under a prefix), so its links and API calls work there too.
    root = request.scope.get("root_path", "").rstrip("/")
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(
        page.replace("{{ROOT}}", html.escape(root)),
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


router.mount("/ui/assets", _Assets(directory=STATIC_DIR / "assets"), name="ui-assets")


@router.get("/ui")
async def ui_home(request: Request) -> Response:
    return _page(request)


@router.get("/ui/{path:path}")
async def ui_page(path: str, request: Request) -> Response:
    if path.startswith("assets"):  # `/ui/assets` itself, or a file that is not there
        return Response("Not Found", status_code=404, media_type="text/plain")
    return _page(request)


@router.get("/")
async def root(request: Request) -> Response:
    """The server's address in a browser leads to the UI."""
    return RedirectResponse(f"{request.scope.get('root_path', '').rstrip('/')}/ui")
