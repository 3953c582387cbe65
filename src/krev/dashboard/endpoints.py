"""Serves the dashboard page and its static files. All data comes from the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from krev.platform.routing import api_router

STATIC_DIR = Path(__file__).parent / "static"

router = api_router(tags=["dashboard"], include_in_schema=False)
static_files = StaticFiles(directory=STATIC_DIR)

# The page is static; its security rests on the API (session cookie + CSRF header).
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@router.get("/", name="root")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard")


@router.get("/dashboard", name="page")
def dashboard() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers=_HEADERS)
