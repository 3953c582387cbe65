"""The dashboard's pages: server-rendered templates, each driven by a plain ES module that
calls the public JSON API with the session cookie (and X-CSRF-Token on writes).

A page needs a live session: without one it redirects to the login page, keeping where the
user was going. Pages that name a record in their URL check it belongs to the viewer and
answer 404 otherwise, as the API does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from krev.catalog import service as catalog
from krev.chat import service as chat
from krev.dashboard.pages import BY_NAME, LOGIN, PAGES, Page, nav_groups
from krev.dashboard.viewer import Viewer, viewer_of
from krev.errors import NotFound
from krev.generations import service as generations
from krev.platform.deps import runtime_of
from krev.platform.routing import api_router

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

router = api_router(tags=["dashboard"], include_in_schema=False)
static_files = StaticFiles(directory=STATIC_DIR)
templates = Jinja2Templates(directory=HERE / "templates")


def security_headers(request: Request) -> dict[str, str]:
    """No inline script or style anywhere (a product name or prompt that smuggles markup in
    cannot run), no framing, and media only from this origin or the public base URL's (where
    stored files' signed URLs point)."""
    parts = urlsplit(runtime_of(request).settings.base_url)  # where stored files are served
    media = f"'self' data: blob: {parts.scheme}://{parts.netloc}"
    policy = "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {media}",
            f"media-src {media}",
            "connect-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def render(
    request: Request,
    page: Page,
    viewer: Viewer | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        f"{page.name}.html",
        {"page": page, "viewer": viewer, "nav": nav_groups(), **context},
        status_code=status,
        headers=security_headers(request),
    )
    return response


def not_found(request: Request, viewer: Viewer, what: str) -> HTMLResponse:
    page = Page("not_found", request.url.path, "Not found")
    return render(request, page, viewer, status=404, what=what)


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back here after; ``expired`` when a session cookie was sent
    but is no longer valid."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = f"next={quote(target, safe='/')}"
    if request.cookies.get("krev_session"):
        query += "&expired=1"
    return RedirectResponse(f"{LOGIN.path}?{query}", status_code=303)


def page_for(request: Request, name: str, **context: Any) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return login_redirect(request)
    return render(request, BY_NAME[name], viewer, **context)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: only a dashboard path of this site, never elsewhere."""
    if value and value.startswith("/dashboard") and "//" not in value and "\\" not in value:
        return value
    return "/dashboard"


@router.get("/", name="root")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard")


@router.get(LOGIN.path, name="login")
def login(
    request: Request,
    next_path: Annotated[str | None, Query(alias="next")] = None,
    expired: bool = False,
) -> Response:
    target = safe_next(next_path)
    if viewer_of(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, LOGIN, None, next=target, expired=expired)


# Pages about one record: the record must be the viewer's (else 404, as the API answers).
# Each names the template that shows it and how to look it up.
@dataclass(frozen=True)
class Detail:
    page: Page
    what: str  # "product", for the 404 page's sentence
    owned: Callable[[Session, uuid.UUID, uuid.UUID], object]  # raises NotFound when not theirs


DETAILS: tuple[Detail, ...] = (
    Detail(
        Page("product", "/dashboard/products/{record_id}", "Product"),
        "product",
        catalog.get_owned,
    ),
    Detail(
        Page("generation", "/dashboard/generations/{record_id}", "Generation"),
        "generation",
        generations.get_owned,
    ),
    Detail(
        Page("chat", "/dashboard/chat/{record_id}", "Chat"),
        "conversation",
        chat.get_conversation,
    ),
)


def detail_page(request: Request, detail: Detail, record_id: str) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return login_redirect(request)
    try:
        parsed = uuid.UUID(record_id)
        with runtime_of(request).db.transaction(write=False) as session:
            detail.owned(session, viewer.user_id, parsed)
    except (ValueError, NotFound):
        return not_found(request, viewer, detail.what)
    return render(request, detail.page, viewer, record_id=str(parsed))


def _add_detail(detail: Detail) -> None:
    def show(request: Request, record_id: str) -> Response:
        return detail_page(request, detail, record_id)

    show.__name__ = f"{detail.page.name}_detail_page"
    router.add_api_route(detail.page.path, show, methods=["GET"], name=f"{detail.page.name}-detail")


def _add_page(page: Page) -> None:
    def show(request: Request) -> Response:
        return page_for(request, page.name)

    show.__name__ = f"{page.name}_page"
    router.add_api_route(page.path, show, methods=["GET"], name=page.name)


for _page in PAGES:
    _add_page(_page)
for _detail in DETAILS:
    _add_detail(_detail)
