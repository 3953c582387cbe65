"""What keeps a run in bounds: its credit budget (the server's, lowered by max_credits), the
scopes and the life of the key that started it, and cancelling it, each refunding what was
not rendered and saying why in the transcript."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from krev.models import User
from krev.platform.config import DEFAULT_PLANS
from tests.accounts.dashboard import login
from tests.chat.conftest import CHAT, artifacts, finished, poll, run_to_end, start
from tests.conftest import Account, runtime_of
from tests.generations.conftest import job_settings, start_api  # noqa: F401 (fixtures)
from tests.images.conftest import BLUE_BOX, ORANGE_JAR, balance, create_product, generation


def _wait_for(what: Any, done: Any) -> Any:
    deadline = time.monotonic() + 240
    while True:
        found = what()
        if done(found):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_a_run_stops_before_a_render_past_its_max_credits(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, ORANGE_JAR)
    before = balance(client, account)

    run = run_to_end(
        client,
        account,
        {
            "message": "Write two ad concepts for this jar and render them",
            "product_ids": [product["id"]],
            "max_credits": 50,
        },
    )

    # The first image (40 credits) fits; the second would take the run to 80.
    assert run["status"] == "succeeded", run
    assert len(run["generation_ids"]) == 1
    assert run["credits_used"] == 40 and balance(client, account) == before - 40
    assert "40 credits" in run["assistant_text"] and "10 more" in run["assistant_text"]


def test_a_render_the_balance_cannot_cover_is_refused_alone_and_what_came_before_stands(
    client: TestClient, account: Account
) -> None:
    # The steps run in one transaction: the second render's 402 is undone alone, not the
    # concepts and the first render before it.
    product = create_product(client, account, ORANGE_JAR)
    with runtime_of(client).db.transaction() as session:
        session.execute(update(User).where(User.id == account.user_id).values(credits_balance=60))

    run = run_to_end(
        client,
        account,
        {
            "message": "Write two ad concepts for this jar and render them",
            "product_ids": [product["id"]],
        },
    )

    assert run["status"] == "succeeded", run
    assert len(artifacts(run, "concept")) == 2
    assert len(run["generation_ids"]) == 1 and run["generations"][0]["status"] == "succeeded"
    refused = [a for a in artifacts(run, "tool_result") if a["tool"] == "generate_images"]
    assert [a["error_code"] for a in refused] == ["insufficient_credits"]
    assert run["credits_used"] == 40 and balance(client, account) == 20
    assert len(artifacts(run, "media")) == 1


def test_a_tool_needing_a_scope_the_key_lacks_is_reported_and_the_run_goes_on(
    client: TestClient, make_account: Any
) -> None:
    chat_only = make_account(scopes=["chat", "products", "credits"])
    product = create_product(client, chat_only, BLUE_BOX)
    before = balance(client, chat_only)

    run = run_to_end(
        client,
        chat_only,
        {
            "message": "Write two ad concepts for this box and render them",
            "product_ids": [product["id"]],
        },
    )

    assert run["status"] == "succeeded", run
    assert len(artifacts(run, "concept")) == 2  # the free part went on
    refused = [a for a in artifacts(run, "tool_result") if a["tool"] == "generate_images"]
    assert refused and all(a["error_code"] == "insufficient_scope" for a in refused)
    assert "'images' scope" in run["assistant_text"]
    assert run["generation_ids"] == [] and balance(client, chat_only) == before


def test_a_revoked_key_stops_the_run_and_refunds_its_unfinished_render(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    dashboard = login(client, account)
    key = dashboard.new_key(name="automation")
    runner = Account(account.user_id, account.email, account.password, key["key"])
    before = balance(client, account)

    queued = start(
        client,
        runner,
        {"message": "Render a 15 second video of this box", "product_ids": [product["id"]]},
    )
    video_id = _wait_for(lambda: poll(client, account, queued["run_id"])["generation_ids"], bool)[0]
    _wait_for(lambda: generation(client, account, video_id), lambda r: r["progress"] >= 10)
    assert dashboard.revoke(key["id"]).status_code == 200

    run = finished(client, account, queued["run_id"])
    assert run["status"] == "failed"
    assert "revoked" in run["assistant_text"] and "revoked" in run["error"]
    video = _wait_for(
        lambda: generation(client, account, video_id), lambda r: r["status"] == "cancelled"
    )
    assert video["credits_used"] == 0
    assert balance(client, account) == before


def test_cancelling_a_run_cancels_its_unfinished_renders_and_refunds_them(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    before = balance(client, account)
    queued = start(
        client,
        account,
        {"message": "Render a 15 second video of this box", "product_ids": [product["id"]]},
    )
    video_id = _wait_for(lambda: poll(client, account, queued["run_id"])["generation_ids"], bool)[0]
    _wait_for(lambda: generation(client, account, video_id), lambda r: r["progress"] >= 10)
    assert balance(client, account) == before - 1200

    response = client.post(f"{CHAT}/runs/{queued['run_id']}/cancel", headers=account.headers)
    assert response.status_code == 200, response.text

    run = finished(client, account, queued["run_id"])
    assert run["status"] == "cancelled" and run["job"]["status"] == "cancelled"
    assert "Cancelled" in run["assistant_text"]
    _wait_for(lambda: generation(client, account, video_id), lambda r: r["status"] == "cancelled")
    assert balance(client, account) == before
    again = client.post(f"{CHAT}/runs/{queued['run_id']}/cancel", headers=account.headers)
    assert again.status_code == 409


def test_polling_a_run_counts_in_the_poll_window(
    start_api: Any,  # noqa: F811
    make_account: Any,
) -> None:
    # The reference's free plan: 30 requests a minute; polls have a window of their own.
    free = DEFAULT_PLANS["free"].model_copy(update={"monthly_credits": 1000})
    api = start_api(plans={"free": free, "pro": free}, embedded_workers=0)
    account = make_account(plan="free")
    queued = start(api.client, account, {"message": "How many credits do I have?"})
    poll_url = queued["poll_url"].removeprefix("http://127.0.0.1:8000")

    for _ in range(40):  # the run waits in the queue: no worker runs here
        answer = api.client.get(poll_url, headers=account.headers)
        assert answer.status_code == 200, answer.text
    assert answer.headers["RateLimit-Policy"] == '"free-polls";q=300;w=60'
    credits = [api.client.get("/api/v1/credits", headers=account.headers) for _ in range(30)]
    assert [r.status_code for r in credits] == [200] * 29 + [429]


@pytest.mark.parametrize("settings", [{"chat_run_credit_budget": 50}], indirect=True)
def test_max_credits_can_only_lower_the_servers_run_budget(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, ORANGE_JAR)
    run = run_to_end(
        client,
        account,
        {
            "message": "Write two ad concepts for this jar and render them",
            "product_ids": [product["id"]],
            "max_credits": 1000,
        },
    )
    assert run["status"] == "succeeded", run
    assert len(run["generation_ids"]) == 1 and run["credits_used"] == 40
    assert "its budget is 50" in run["assistant_text"]
