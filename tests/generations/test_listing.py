"""GET /api/v1/generations: the caller's jobs, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

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
