"""Waiting on a job does not eat the API budget: polls of a generation count in a window of
their own (KREV_POLL_RATE_LIMIT, by default ten times the plan's), and a 202's Retry-After
says when the job is expected to be done, so a client that obeys it polls about once a job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from krev.platform.config import DEFAULT_PLANS
from tests.conftest import Account
from tests.generations.conftest import StartApi

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
# The reference's free plan: 30 requests a minute.
FREE = DEFAULT_PLANS["free"].model_copy(update={"monthly_credits": 1000})


@BOTH
def test_polling_a_job_leaves_the_plans_budget_for_real_calls(
    start_api: StartApi, make_account: Callable[..., Account]
) -> None:
    api = start_api(plans={"free": FREE, "pro": FREE}, embedded_workers=0)
    account = make_account(plan="free")
    accepted = api.client.post(
        "/api/v1/test-jobs", json={}, headers={**account.headers, "Prefer": "respond-async"}
    )
    assert accepted.status_code == 202, accepted.text
    poll = accepted.json()["data"]["poll_url"].removeprefix("http://127.0.0.1:8000")

    # Far more polls than the plan's 30 a minute, while the job waits in the queue.
    for _ in range(45):
        answer = api.client.get(poll, headers=account.headers)
        assert answer.status_code == 200, answer.text
    assert answer.headers["RateLimit-Policy"] == '"free-polls";q=300;w=60'

    # The plan's own budget is untouched but for the POST: 29 calls remain, the 30th is not.
    credits = [api.client.get("/api/v1/credits", headers=account.headers) for _ in range(30)]
    assert [r.status_code for r in credits] == [200] * 29 + [429]
    assert credits[0].headers["RateLimit"].startswith('"free";r=28;')
    # ...and polls still go on in theirs.
    assert api.client.get(poll, headers=account.headers).status_code == 200


def test_the_poll_window_has_a_limit_of_its_own(
    start_api: StartApi, make_account: Callable[..., Account]
) -> None:
    api = start_api(poll_rate_limit="5/minute", embedded_workers=0)
    account = make_account(plan="pro")
    job = api.client.post(
        "/api/v1/test-jobs", json={}, headers={**account.headers, "Prefer": "respond-async"}
    ).json()["data"]["generation_id"]
    answers = [
        api.client.get(f"/api/v1/generations/{job}", headers=account.headers) for _ in range(6)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert "polls" in refused.json()["error"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert api.client.get("/api/v1/credits", headers=account.headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"prompt": "dark marble, soft light"}, 2),  # 1 s + 0.3 s an image, rounded up
        ({"prompt": "dark marble, soft light", "image_count": 4, "hd": True}, 7),  # 1 + 4 x 1.5
    ],
)
def test_retry_after_on_a_202_is_the_jobs_expected_time(
    start_api: StartApi, make_account: Callable[..., Account], body: dict[str, Any], expected: int
) -> None:
    api = start_api(embedded_workers=0)
    account = make_account(plan="pro")
    accepted = api.client.post(
        "/api/v1/images", json=body, headers={**account.headers, "Prefer": "respond-async"}
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Retry-After"] == str(expected)
    assert accepted.headers["Location"] == accepted.json()["data"]["poll_url"]
