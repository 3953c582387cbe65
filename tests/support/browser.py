"""Debian's Chromium driven by Playwright, for the dashboard's end-to-end tests and the
screenshots script. Chromium comes from the project's setup (`make setup-browser`); no
browser is ever downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = os.environ.get("KREV_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# This machine's network is closed: without these Chromium keeps trying Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 740}


@contextmanager
def chromium() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}: run `make setup-browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageProblems:
    """What a page reported that a user would not see but a developer must: script errors,
    failed requests of the page's own code, Content-Security-Policy violations."""

    messages: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # substrings a test expects to see

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")

    def unexpected(self) -> list[str]:
        # A refused API call shows in the page (the tests check that) and Chromium also logs
        # "Failed to load resource … 4xx": those the test asked for are not problems.
        return [
            text
            for text in self.messages
            if not any(expected in text for expected in self.expected)
            and not ("Failed to load resource" in text and self.expected_status(text))
        ]

    def expected_status(self, text: str) -> bool:
        return any(f"status of {code}" in text for code in self.expected)
