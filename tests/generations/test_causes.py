"""What caused each generation and credit move, as a client reads it back: the key (``api``)
or the dashboard session (``dashboard``) that submitted a job, carried by its reservation and
by every refund of it whoever makes it, ``system`` for monthly resets; a key's generations
listed by ``api_key_id``, never another user's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from krev.models import ApiKey, Cause, DashboardSession, Generation, LedgerEntry
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import Dashboard, bearer, login
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account
from tests.generations.conftest import StartApi
from tests.support.billing import set_user_columns
from tests.support.http_types import AnyResponse

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
GENERATIONS = "/api/v1/generations"
HISTORY = "/api/v1/credits/history"
ASYNC = {"Prefer": "respond-async"}


def submit(client: TestClient, headers: dict[str, str], **body: Any) -> AnyResponse:
    response: AnyResponse = client.post(
        "/api/v1/test-jobs", json={"cost": 40, **body}, headers={**headers, **ASYNC}
    )
    return response


def accepted(client: TestClient, headers: dict[str, str], **body: Any) -> str:
    response = submit(client, headers, **body)
    assert response.status_code == 202, response.text
    return str(response.json()["data"]["generation_id"])


def read(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [g["id"] for g in read(client, GENERATIONS, headers, **params)]


def moves(client: TestClient, headers: dict[str, str], generation_id: str) -> list[Any]:
    """(kind, source, api_key_id) of a generation's credit moves, oldest first."""
    history = read(client, HISTORY, headers, limit=100)
    found = [e for e in history if e["generation_id"] == generation_id]
    return [(e["kind"], e["source"], e["api_key_id"]) for e in reversed(found)]


def two_keys(client: TestClient, account: Account) -> tuple[Dashboard, str, str, str, str]:
    """The account's dashboard and two keys made in it: (dashboard, key A, id A, key B, id B),
    as an agency makes one key per client."""
    dashboard = login(client, account)
    a, b = dashboard.new_key("Client A"), dashboard.new_key("Client B")
    return dashboard, a["key"], a["id"], b["key"], b["id"]


@BOTH_MODES
def test_each_generation_records_the_key_that_submitted_it_and_is_listed_by_it(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    dashboard, key_a, id_a, key_b, id_b = two_keys(client, account)

    by_a = accepted(client, bearer(key_a))
    by_b = accepted(client, bearer(key_b))

    # Any of the user's keys reads every generation of theirs, each with its own key.
    for generation_id, key_id in ((by_a, id_a), (by_b, id_b)):
        view = read(client, f"{GENERATIONS}/{generation_id}", bearer(key_b))
        assert (view["source"], view["api_key_id"]) == ("api", key_id)
    page = {g["id"]: g for g in read(client, GENERATIONS, bearer(key_a))}
    assert (page[by_a]["source"], page[by_a]["api_key_id"]) == ("api", id_a)
    assert (page[by_b]["source"], page[by_b]["api_key_id"]) == ("api", id_b)
    assert moves(client, bearer(key_a), by_a) == [("reservation", "api", id_a)]
    assert moves(client, bearer(key_a), by_b) == [("reservation", "api", id_b)]

    assert listed(client, bearer(key_b), api_key_id=id_a) == [by_a]
    assert listed(client, bearer(key_a), api_key_id=id_b) == [by_b]
    assert listed(client, bearer(key_a), api_key_id=id_b, status="succeeded") == []
    # The setup key submitted nothing; an id that cannot be a key's is the caller's mistake.
    assert listed(client, account.headers, api_key_id=str(uuid.uuid4())) == []
    malformed = client.get(GENERATIONS, params={"api_key_id": "client-a"}, headers=account.headers)
    assert malformed.status_code == 400, malformed.text
    assert "api_key_id" in malformed.json()["error"]

    # A revoked key is history, not forgotten: its jobs keep their key and are still found.
    assert dashboard.revoke(id_a).status_code == 200
    assert listed(client, bearer(key_b), api_key_id=id_a) == [by_a]
    assert read(client, f"{GENERATIONS}/{by_a}", bearer(key_b))["api_key_id"] == id_a
    # Keys are revoked, not deleted: the database refuses to delete one with history.
    with pytest.raises(IntegrityError), runtime.db.transaction() as session:
        session.execute(delete(ApiKey).where(ApiKey.id == uuid.UUID(id_a)))

    # Another user's key finds nothing, either way round.
    stranger = make_account()
    theirs = accepted(client, stranger.headers)
    their_key = read(client, f"{GENERATIONS}/{theirs}", stranger.headers)["api_key_id"]
    assert listed(client, bearer(key_b), api_key_id=their_key) == []
    assert listed(client, stranger.headers, api_key_id=id_a) == []


@BOTH_MODES
def test_a_generation_from_the_dashboard_records_its_session(
    client: TestClient, runtime: Runtime, account: Account
) -> None:
    dashboard = login(client, account)

    # The session cookie alone, with the CSRF header every dashboard write sends.
    generation_id = accepted(client, {"X-CSRF-Token": dashboard.csrf})

    view = read(client, f"{GENERATIONS}/{generation_id}", account.headers)
    assert (view["source"], view["api_key_id"]) == ("dashboard", None)
    assert moves(client, account.headers, generation_id) == [("reservation", "dashboard", None)]
    with runtime.db.transaction(write=False) as session:
        session_id = session.scalars(
            select(DashboardSession.id).where(DashboardSession.user_id == account.user_id)
        ).one()
        generation = session.get(Generation, uuid.UUID(generation_id))
        assert generation is not None
        assert generation.cause == Cause.dashboard(session_id)
        reservation = session.scalars(
            select(LedgerEntry).where(LedgerEntry.generation_id == generation.id)
        ).one()
        assert reservation.cause == Cause.dashboard(session_id)


@BOTH_MODES
def test_products_and_images_record_who_asked_for_them(
    client: TestClient, account: Account
) -> None:
    """The services behind POST /products and POST /images take the caller's cause."""
    dashboard, key_a, id_a, _, _ = two_keys(client, account)
    body = {"image_url": data_url(photo_bytes(0, size=128))}

    uploaded = client.post(PRODUCTS, json=body, headers={**bearer(key_a), **ASYNC})
    image = client.post(
        "/api/v1/images",
        json={"prompt": "warm light on oak"},
        headers={"X-CSRF-Token": dashboard.csrf, **ASYNC},
    )

    assert uploaded.status_code == 202, uploaded.text
    analysis = read(client, f"{GENERATIONS}/{uploaded.json()['data']['generation_id']}", {})
    assert (analysis["source"], analysis["api_key_id"]) == ("api", id_a)
    assert image.status_code == 202, image.text
    image_id = image.json()["data"]["generation_id"]
    made = read(client, f"{GENERATIONS}/{image_id}", {})
    assert (made["source"], made["api_key_id"]) == ("dashboard", None)
    assert moves(client, {}, image_id) == [("reservation", "dashboard", None)]


@BOTH_MODES
def test_refunds_carry_the_cause_of_the_job_they_refund(
    start_api: StartApi, make_account: Callable[..., Account]
) -> None:
    """Whoever refunds (the worker on a failure or a partial charge, the runner stopping a
    cancelled job), the refund is part of the job: one key's moves add up to its spending."""
    api = start_api()
    client = api.client
    account = make_account()
    _, key_a, id_a, key_b, id_b = two_keys(client, account)

    failed = accepted(client, bearer(key_a), params={"fail": True}, cost=120)
    partial = accepted(client, bearer(key_b), params={"credits_used": 30}, cost=80)
    slow = accepted(client, bearer(key_a), params={"steps": 200, "step_seconds": 0.05})
    # Cancelled with another key (queued or running, it ends refunded either way).
    assert api.cancel(account, slow).status_code == 200

    assert api.wait_until_finished(account, failed)["status"] == "failed"
    assert moves(client, bearer(key_a), failed) == [
        ("reservation", "api", id_a),
        ("refund", "api", id_a),
    ]
    assert api.wait_until_finished(account, partial)["status"] == "succeeded"
    assert moves(client, bearer(key_a), partial) == [
        ("reservation", "api", id_b),
        ("partial_refund", "api", id_b),
    ]
    assert api.wait_until_finished(account, slow)["status"] == "cancelled"
    assert moves(client, bearer(key_a), slow) == [
        ("reservation", "api", id_a),
        ("refund", "api", id_a),
    ]


@BOTH_MODES
def test_a_monthly_reset_is_the_systems_doing_whoever_noticed_it(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(plan="free", credits=0)
    history = read(client, HISTORY, account.headers)
    # A new account's opening balance is the system's too (the setup's grant is an admin's).
    assert [(e["kind"], e["source"], e["api_key_id"]) for e in history] == [
        ("adjustment", "admin", None),
        ("monthly_reset", "system", None),
    ]
    set_user_columns(runtime, account.user_id, credits_resets_at=datetime(2020, 1, 1, tzinfo=UTC))

    generation_id = accepted(client, account.headers)

    view = read(client, f"{GENERATIONS}/{generation_id}", account.headers)
    newest = read(client, HISTORY, account.headers)[:2]
    assert [(e["kind"], e["source"], e["api_key_id"]) for e in newest] == [
        ("reservation", "api", view["api_key_id"]),
        ("monthly_reset", "system", None),
    ]
    assert view["api_key_id"] is not None


def test_a_cause_is_one_of_the_known_sources() -> None:
    run = uuid.uuid4()
    assert Cause.chat(run, api_key_id=run).source == f"chat:{run}"
    for bad in (
        lambda: Cause("chat:not-a-run"),
        lambda: Cause("webhook"),
        lambda: Cause("api"),  # a request with a key names it
        lambda: Cause("dashboard", api_key_id=run),
        lambda: Cause("admin", api_key_id=run),
        lambda: Cause(f"chat:{run}", api_key_id=run, dashboard_session_id=run),
    ):
        with pytest.raises(ValueError):
            bad()
