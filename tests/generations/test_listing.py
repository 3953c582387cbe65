"""GET /api/v1/generations: the caller's jobs, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.generations.conftest import StartApi


def test_pages_follow_next_cursor_as_given(start_api: StartApi, make_account: Any) -> None:
    api = start_api(embedded_workers=0)
    account, other = make_account(), make_account()
    submitted = [api.submit_async(account) for _ in range(3)]
    api.submit_async(other)

    first = api.client.get("/api/v1/generations?limit=2", headers=account.headers)
    assert first.status_code == 200, first.text
    cursor = first.json()["meta"]["next_cursor"]
    assert cursor
    # Pasted into the URL as it came, the way a shell script or automation tool would.
    second = api.client.get(f"/api/v1/generations?limit=2&cursor={cursor}", headers=account.headers)

    assert second.status_code == 200, second.text
    pages = first.json()["data"] + second.json()["data"]
    assert [g["id"] for g in pages] == list(reversed(submitted))
    assert second.json()["meta"] == {"count": 1, "next_cursor": None}
    assert all(g["status"] == "queued" for g in pages)


@pytest.mark.parametrize("cursor", ["2026-01-01T00:00:00", "2026-01-01", "0.5"])
def test_a_cursor_this_api_did_not_issue_is_a_400(
    client: TestClient, account: Account, cursor: str
) -> None:
    response = client.get("/api/v1/generations", params={"cursor": cursor}, headers=account.headers)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_cursor"
    assert "cursor" in body["error"]


# The prompt is read out of the request's JSON in SQL, which each database spells its own way.
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_each_generation_shows_what_it_was_asked_for(start_api: StartApi, account: Account) -> None:
    api = start_api(embedded_workers=0)
    prompted = api.submit_async(account, {"prompt": "a pan across <b>marble</b>"})
    briefed = api.submit_async(account, {"brief": "An ad for the summer sale"})
    bare = api.submit_async(account)

    listed = api.client.get("/api/v1/generations", headers=account.headers).json()["data"]

    asked = {prompted: "a pan across <b>marble</b>", briefed: "An ad for the summer sale"}
    assert {g["id"]: g["prompt"] for g in listed} == {**asked, bare: None}
    # The same on a poll, and on the answer to a cancel.
    assert api.generation(account, prompted)["prompt"] == asked[prompted]
    cancelled = api.cancel(account, briefed)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["prompt"] == asked[briefed]
