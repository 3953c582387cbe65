"""The discover agent's research: Meta's Ad Library when the server has a token (a local fake
of the published ads_archive API), else the account's own products and past creative, and the
reply says plainly which it was. The token never shows in what the run returns."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.chat.conftest import artifacts, finished, poll, run_to_end, start
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, create_product
from tests.support.fake_ad_library import FakeAdLibrary, hang

TOKEN = "EAAB-chat-research-token"


@pytest.fixture
def library() -> Iterator[FakeAdLibrary]:
    with FakeAdLibrary(tokens=(TOKEN,)) as fake:
        yield fake


@pytest.fixture
def library_client(
    make_settings: Callable[..., Settings], library: FakeAdLibrary
) -> Iterator[TestClient]:
    """The app with a token for the fake Ad Library."""
    settings = make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        chat_poll_seconds=0.2,
        meta_graph_url=library.url,
        meta_ad_library_token=TOKEN,
    )
    with TestClient(build_app(build_runtime(settings)), base_url="http://127.0.0.1:8000") as client:
        yield client


def test_discover_searches_the_ad_library_when_the_server_has_a_token(
    library_client: TestClient, make_account: Callable[..., Account], library: FakeAdLibrary
) -> None:
    run = run_to_end(
        library_client,
        make_account(),
        {"message": "Research what skincare serum ads are running", "agent": "discover"},
    )

    assert run["status"] == "succeeded", run
    assert run["agent_used"] == "discover"
    (research,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "research_ad_library"]
    assert research["source"] == "meta_ad_library"
    assert research["summary"]["ad_count"] >= 1 and research["ads"]
    assert any("serum" in (ad["body"] or "").lower() for ad in research["ads"])
    assert "Ad Library" in run["assistant_text"]
    searched = [r for r in library.requests if r.path.endswith("/ads_archive")]
    assert searched and "serum" in searched[0].params["search_terms"]
    assert TOKEN not in str(run)  # neither in the artifacts nor in snapshot links


def test_without_a_token_discover_says_so_and_reviews_the_account(
    client: TestClient, account: Account
) -> None:
    create_product(client, account, BLUE_BOX)
    run = run_to_end(
        client,
        account,
        {"message": "Research competitor ads for storage boxes", "agent": "auto"},
    )

    assert run["status"] == "succeeded", run
    assert run["agent"] == "auto" and run["agent_used"] == "discover"
    (research,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "research_ad_library"]
    assert research["source"] == "own_catalog" and research["products"] == 1
    assert "not configured" in run["assistant_text"]


def test_writes_go_on_while_a_run_waits_for_the_ad_library(
    library_client: TestClient, make_account: Callable[..., Account], library: FakeAdLibrary
) -> None:
    # The search runs outside the run's transaction: on SQLite that transaction holds the
    # database's write lock, and a slow Ad Library must not stop every other write.
    client, account = library_client, make_account()
    library.answer_next(hang(600))
    researching = start(
        client,
        account,
        {"message": "Research what skincare serum ads are running", "agent": "discover"},
    )
    _wait_until(lambda: library.answers_left() == 0)  # the search is held

    other = start(client, account, {"message": "How many credits do I have left?"})
    answered = finished(client, account, other["run_id"])

    assert answered["status"] == "succeeded", answered
    # The first run is still waiting on the Ad Library.
    assert poll(client, account, researching["run_id"])["status"] == "processing"
    library.stop()  # the held search fails: the run reports it and answers
    run = finished(client, account, researching["run_id"])

    assert run["status"] == "succeeded", run
    (research,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "research_ad_library"]
    assert research["ok"] is False and research["error_code"] == "provider_unavailable"


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the run never asked the Ad Library"
        time.sleep(0.02)
