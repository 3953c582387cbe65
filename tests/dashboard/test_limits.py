"""The dashboard's calls count in a window of their own, and its writes need the CSRF token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.accounts.dashboard import login
from tests.conftest import Account, build_app


def test_an_open_dashboard_never_spends_the_keys_budget(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="free")  # 30 calls a minute for its keys
    login(client, account)
    for _ in range(60):  # a page following running jobs for two minutes' worth of budget
        assert client.get("/api/v1/generations").status_code == 200
        assert client.get("/api/v1/credits").status_code == 200
    client.cookies.clear()
    answer = client.get("/api/v1/credits", headers=account.headers)
    assert answer.status_code == 200
    assert answer.headers["ratelimit"].startswith('"free";r=29;')


def test_the_dashboards_own_window(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    from krev.composition import build_runtime

    runtime = build_runtime(make_settings(dashboard_rate_limit="5/minute"))
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as browser:
            account = make_account()  # the same database as this runtime's
            login(browser, account)
            answers = [browser.get("/api/v1/credits").status_code for _ in range(6)]
            assert answers == [200] * 5 + [429]
            refused = browser.get("/api/v1/credits")
            assert refused.json()["success"] is False and "retry-after" in refused.headers
            # The keys are untouched by it.
            assert browser.get("/api/v1/credits", headers=account.headers).status_code == 200
    finally:
        runtime.close()


def test_a_cross_site_form_post_is_refused(client: TestClient, account: Account) -> None:
    """A page elsewhere posting a form to the API with the user's cookie (the browser sends
    it, the page cannot read the CSRF token): refused, nothing queued or charged."""
    login(client, account)
    before = client.get("/api/v1/credits").json()["data"]["credits"]["current"]
    forged = client.post(
        "/api/v1/images",
        data={"prompt": "a red mug", "num_images": "1"},
        headers={
            "Origin": "https://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert forged.status_code == 403
    assert forged.json() == {
        "success": False,
        "error": forged.json()["error"],
        "code": "csrf_failed",
    }
    wrong = client.post(
        "/api/v1/images", json={"prompt": "a red mug"}, headers={"X-CSRF-Token": "0" * 64}
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "csrf_failed"
    assert client.get("/api/v1/generations").json()["data"] == []
    assert client.get("/api/v1/credits").json()["data"]["credits"]["current"] == before
