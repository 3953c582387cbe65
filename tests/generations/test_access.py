"""Who may read a generation: only its owner, with a key whose scopes cover its kind; anything
else is a 404 that says nothing about the job, or a 403 for the missing scope."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Account
from tests.generations.conftest import StartApi
from tests.generations.stack import Api


def finished_job(api: Api, account: Account) -> str:
    response = api.submit(account, {"size": 32, "label": "owner-only-label"})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["generation_id"])


def key_with_scopes(api: Api, account: Account, scopes: list[str]) -> dict[str, str]:
    """A second key for the same user, made the way users make one: from a dashboard session."""
    login = api.client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert login.status_code == 200, login.text
    created = api.client.post(
        "/api/v1/keys",
        json={"name": "limited", "scopes": scopes},
        headers={"X-CSRF-Token": login.json()["data"]["csrf_token"]},
    )
    assert created.status_code == 201, created.text
    api.client.cookies.clear()  # from here on only bearer keys speak
    return {"Authorization": f"Bearer {created.json()['data']['key']}"}


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "not_found"
    assert "data" not in body


def test_another_users_generation_is_not_found_and_reveals_nothing(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    owner, stranger = make_account(), make_account()
    generation_id = finished_job(api, owner)
    pending_id = api.submit_async(owner, {"steps": 20, "step_seconds": 0.05})
    stranger_start = api.balance(stranger)

    for target in (generation_id, pending_id):
        response = api.client.get(f"/api/v1/generations/{target}", headers=stranger.headers)
        assert_not_found(response)
        assert "owner-only-label" not in response.text
        assert "/storage/" not in response.text
        assert_not_found(api.cancel(stranger, target))

    listed = api.client.get("/api/v1/generations", headers=stranger.headers)
    assert listed.status_code == 200
    assert listed.json()["data"] == []
    # The stranger's cancel touched nothing: the owner's job runs on, nobody was refunded.
    assert api.wait_until_finished(owner, pending_id)["status"] == "succeeded"
    assert api.balance(stranger) == stranger_start
    # Indistinguishable from an id that was never issued.
    unknown = api.client.get(f"/api/v1/generations/{uuid.uuid4()}", headers=stranger.headers)
    assert unknown.json() == response.json()


def test_a_key_without_the_images_scope_cannot_read_image_jobs(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    generation_id = finished_job(api, account)
    credits_only = key_with_scopes(api, account, ["credits"])

    response = api.client.get(f"/api/v1/generations/{generation_id}", headers=credits_only)

    assert response.status_code == 403, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "insufficient_scope"
    assert "images" in body["error"]
    assert "data" not in body
    cancel = api.client.post(f"/api/v1/generations/{generation_id}/cancel", headers=credits_only)
    assert cancel.status_code == 403
    listed = api.client.get("/api/v1/generations", headers=credits_only)
    assert listed.status_code == 200
    assert listed.json()["data"] == []
    # The user's full key still reads it.
    assert api.generation(account, generation_id)["status"] == "succeeded"
    listed = api.client.get("/api/v1/generations", headers=account.headers)
    assert [g["id"] for g in listed.json()["data"]] == [generation_id]


def test_unknown_and_malformed_generation_ids(start_api: StartApi, make_account: Any) -> None:
    api = start_api(embedded_workers=0)
    account = make_account()
    real = api.submit_async(account)

    unknown = api.client.get(f"/api/v1/generations/{uuid.uuid4()}", headers=account.headers)
    # Not a UUID at all, and one that looks like one.
    malformed = [f"/api/v1/generations/{text}" for text in ("not-a-uuid", real[:-1], "1", "%20")]
    answers = [api.client.get(path, headers=account.headers) for path in malformed]
    answers += [api.client.post(f"{path}/cancel", headers=account.headers) for path in malformed]
    anonymous = api.client.get(f"/api/v1/generations/{uuid.uuid4()}")
    anonymous_malformed = api.client.get("/api/v1/generations/not-a-uuid")

    assert_not_found(unknown)
    for response in answers:  # no such generation, whatever the id's shape
        assert_not_found(response)
        assert response.json() == unknown.json()
    for response in (anonymous, anonymous_malformed):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    assert api.generation(account, real)["status"] == "queued"
