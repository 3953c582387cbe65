"""Style references are fetched like product URLs: on the fetch pool, within the user's cap on
fetches in flight (shared with product uploads), and within one time budget per request."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, balance, generate, image_generations
from tests.support.held_fetches import BUDGET, CAP, hold_fetches
from tests.support.origin_server import OriginServer

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        plans=JOB_PLANS, fetch_allowlist=["127.0.0.1"], fetch_timeout_seconds=BUDGET
    )


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        yield server


@BOTH_MODES
def test_references_count_against_the_users_fetch_cap(
    client: TestClient, account: Account, origin: OriginServer
) -> None:
    held = hold_fetches(client, account, origin, CAP)
    before = balance(client, account)
    reference = origin.put("/style.png", photo_bytes(BLUE_BOX, size=64), "image/png")

    refused = held.answer(
        lambda: generate(client, account, {"prompt": "marble", "reference_images": [reference]})
    )

    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "fetch_concurrency"
    assert int(refused.headers["Retry-After"]) >= 1
    assert "/style.png" not in origin.paths
    assert balance(client, account) == before
    assert image_generations(client, account) == []

    # A data: URL fetches nothing, so it needs no slot.
    accepted = held.answer(
        lambda: generate(
            client,
            account,
            {"prompt": "marble", "reference_images": [data_url(photo_bytes(BLUE_BOX, size=64))]},
            Prefer="respond-async",
        )
    )
    assert accepted.status_code == 202, accepted.text
    held.finish()


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param({"fetch_threads": 1}, id="one-fetch-thread"),
        pytest.param({"fetch_max_per_user": 1}, id="one-fetch-per-user"),
    ],
)
def test_a_requests_references_share_one_time_budget(
    make_settings: Callable[..., Settings],
    make_account: Callable[..., Account],
    origin: OriginServer,
    limits: dict[str, int],
) -> None:
    # Two references, fetched one after the other (one thread, or one slot). The first is held
    # until the budget cuts it off; the second's budget is spent by then, so it is never sent:
    # the request's fetching takes the budget once, however it is queued.
    settings = make_settings(
        plans=JOB_PLANS, fetch_allowlist=["127.0.0.1"], fetch_timeout_seconds=0.5, **limits
    )
    runtime = build_runtime(settings)
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            account = make_account()
            references = [origin.url("/hold?reference=0"), origin.url("/hold?reference=1")]

            response = generate(client, account, {"prompt": "x", "reference_images": references})

            assert response.status_code == 400, response.text
            assert response.json()["code"] == "fetch_timeout"
            assert response.json()["error"].startswith("reference_images[0]:")
            assert len([path for path in origin.paths if path.startswith("/hold")]) == 1
            assert image_generations(client, account) == []
    finally:
        runtime.close()
