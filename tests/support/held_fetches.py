"""Product uploads whose image URL a local origin holds open until the test lets go, and a
way to ask the API something while they are held (tests of the fetch pool and its cap)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog.conftest import PRODUCTS
from tests.conftest import Account
from tests.support.origin_server import OriginServer

CAP = 4  # KREV_FETCH_MAX_PER_USER's default
# A fetch time budget longer than any wait in these tests: a held fetch ends only when the
# test lets go of it.
BUDGET = 600.0


class Background:
    """Requests sent from threads of their own, so the test can ask questions while they
    wait; whatever is left waiting is let go (the origin released) before the test ends."""

    def __init__(self, origin: OriginServer) -> None:
        self.origin = origin
        self.threads: list[threading.Thread] = []
        self.answers: list[Any] = []

    def start(self, send: Callable[[], Any]) -> None:
        thread = threading.Thread(target=lambda: self.answers.append(send()), daemon=True)
        thread.start()
        self.threads.append(thread)

    def answer(self, send: Callable[[], Any]) -> Any:
        """``send()``'s answer, which must come while the origin still holds its fetches."""
        answers: list[Any] = []
        thread = threading.Thread(target=lambda: answers.append(send()), daemon=True)
        thread.start()
        thread.join(60)  # runs out only if the answer waits for the held fetches
        if thread.is_alive():
            self.origin.release_held()
            pytest.fail("the request waited for the held fetches")
        return answers[0]

    def finish(self) -> list[Any]:
        """The background requests' answers, once the origin lets go."""
        self.origin.release_held()
        for thread in self.threads:
            thread.join(60)
        return self.answers


def hold_fetches(
    client: TestClient, account: Account, origin: OriginServer, count: int
) -> Background:
    """``count`` product uploads by ``account`` whose image URL the origin holds open."""
    background = Background(origin)
    for n in range(count):
        url = origin.url(f"/hold?upload={n}")
        background.start(
            partial(client.post, PRODUCTS, json={"image_url": url}, headers=account.headers)
        )
    assert origin.wait_held(count), "the uploads' fetches never reached the origin"
    return background
