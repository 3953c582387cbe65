"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against the real
app served by uvicorn on 127.0.0.1 with embedded workers (jobs run as in `make run`)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.browser import DESKTOP, PHONE, PageProblems, chromium
from tests.support.live_server import LiveServer, bound_socket

expect.set_options(timeout=30_000)  # a guard against a hung test on a busy machine, not a target


# One Chromium per test module, not per session: Playwright's sync API keeps an event loop
# running in this thread while it is started, and a later test in the same worker calling
# asyncio.run (the SDK's async client tests) would find it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def live_socket() -> Iterator[socket.socket]:
    sock = bound_socket()
    try:
        yield sock
    finally:
        sock.close()  # the server closes it too; a second close is harmless


@pytest.fixture
def settings(make_settings: Callable[..., Settings], live_socket: socket.socket) -> Settings:
    host, port = live_socket.getsockname()[:2]
    return make_settings(embedded_workers=2, public_base_url=f"http://{host}:{port}")


@pytest.fixture
def server(runtime: Runtime, live_socket: socket.socket) -> Iterator[LiveServer]:
    with LiveServer.for_runtime(runtime, sock=live_socket) as live:
        yield live


@dataclass
class Dashboard:
    """A browser tab on the live server, and an API client beside it."""

    page: Page
    url: str
    problems: PageProblems

    def open(self, path: str) -> Page:
        self.page.goto(self.url + path)
        return self.page

    def log_in(self, account: Account, password: str | None = None, *, here: bool = False) -> None:
        """Log in from the login page (``here``: the one the browser was sent to)."""
        page = self.page if here else self.open("/dashboard/login")
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(password or account.password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )


def _dashboard(
    browser: Browser, server: LiveServer, viewport: dict[str, int], **options: Any
) -> Iterator[Dashboard]:
    context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    try:
        yield Dashboard(page, server.url, problems)
    finally:
        context.close()
    assert problems.unexpected() == [], problems.unexpected()


@pytest.fixture
def dashboard(browser: Browser, server: LiveServer) -> Iterator[Dashboard]:
    yield from _dashboard(browser, server, DESKTOP)


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[Dashboard]:
    """The dashboard on a phone: 375 px wide, touch, a mobile user agent's scale."""
    yield from _dashboard(browser, server, PHONE, is_mobile=True, has_touch=True)


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways: the page does not scroll horizontally, and every button
    and link a user may press lies within the screen."""
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways: {scroll} px of content in {width} px"
    outside = page.evaluate(
        """(width) => [...document.querySelectorAll('button, a, input, select, textarea')]
            .filter((node) => node.offsetParent !== null)
            .filter((node) => !node.matches('.skip, .visually-hidden'))
            .map((node) => [node.textContent.trim() || node.name, node.getBoundingClientRect()])
            .filter(([, box]) => box.width > 0 && (box.right > width + 1 || box.left < -1))
            .map(([name, box]) => `${name}: ${Math.round(box.left)}..${Math.round(box.right)}`)""",
        width,
    )
    assert outside == [], outside


def assert_accessible(page: Page) -> None:
    """What a screen reader or keyboard user needs of the page as it is: every visible form
    control and button has a name, every image a text alternative (alt, empty when it is
    decoration), and nothing takes focus away from the page's order (no positive tabindex)."""
    problems = page.evaluate(
        """() => {
            const visible = (node) => node.getClientRects().length > 0;
            const labelled = (node) => {
                const ids = (node.getAttribute('aria-labelledby') || '').split(/\\s+/);
                return ids.some((id) => document.getElementById(id)?.textContent.trim());
            };
            const named = (node) => Boolean(
                node.getAttribute('aria-label')?.trim() || labelled(node)
                || (node.id && document.querySelector(`label[for="${CSS.escape(node.id)}"]`))
                || node.closest('label')
                || (node.tagName === 'BUTTON' && node.textContent.trim())
                || (node.title || '').trim());
            const found = [];
            const controls = 'input:not([type=hidden]), select, textarea, button';
            for (const node of document.querySelectorAll(controls)) {
                if (!visible(node) || named(node)) continue;
                found.push(`unnamed ${node.outerHTML.slice(0, 80)}`);
            }
            for (const img of document.querySelectorAll('img')) {
                if (!img.hasAttribute('alt')) found.push(`img without alt ${img.src.slice(0, 60)}`);
            }
            for (const node of document.querySelectorAll('[tabindex]')) {
                const order = Number(node.getAttribute('tabindex'));
                if (order > 0) found.push(`tabindex ${order} on ${node.tagName}`);
            }
            return found;
        }"""
    )
    assert problems == [], problems
