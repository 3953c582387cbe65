"""Idempotency-Key on job POSTs: a retry gets the first answer and pays once; the same key
for another request is a 422; a retry while the first still runs is a 409; a request refused
before doing anything is not kept, so the same key works once the cause is fixed."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from tests.conftest import Account
from tests.generations.conftest import StartApi
from tests.generations.stack import Api
from tests.support.http_types import AnyResponse

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def post(
    api: Api, account: Account, key: str, params: dict[str, Any], *, cost: int = 40, **headers: str
) -> AnyResponse:
    response: AnyResponse = api.client.post(
        "/api/v1/test-jobs",
        json={"params": params, "cost": cost},
        headers={**account.headers, "Idempotency-Key": key, **headers},
    )
    return response


def generations_of(api: Api, account: Account) -> list[dict[str, Any]]:
    response = api.client.get("/api/v1/generations?limit=100", headers=account.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@BOTH_MODES
def test_a_retry_gets_the_first_answer_and_pays_once(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="pro")
    start = api.balance(account)
    key = str(uuid.uuid4())

    first = post(api, account, key, {"count": 1, "size": 16})
    again = post(api, account, key, {"count": 1, "size": 16})

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert len(generations_of(api, account)) == 1
    assert api.balance(account) == start - 40
    # Another user's identical key is theirs alone.
    other = make_account(plan="pro")
    assert (
        post(api, other, key, {"count": 1, "size": 16}).json()["data"]["generation_id"]
        != (first.json()["data"]["generation_id"])
    )


@BOTH_MODES
def test_the_same_key_for_a_different_request_is_refused(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="pro")
    key = str(uuid.uuid4())
    assert post(api, account, key, {"count": 1, "size": 16}).status_code == 200
    balance = api.balance(account)

    reused = post(api, account, key, {"count": 1, "size": 32})

    assert reused.status_code == 422, reused.text
    assert reused.json()["code"] == "idempotency_key_reused"
    assert "different request" in reused.json()["error"]
    assert api.balance(account) == balance
    assert len(generations_of(api, account)) == 1


def test_a_retry_while_the_first_runs_is_told_to_wait(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="pro")
    key = str(uuid.uuid4())
    slow = {"steps": 20, "step_seconds": 0.1, "size": 16}
    answers: list[AnyResponse] = []
    first = threading.Thread(target=lambda: answers.append(post(api, account, key, slow)))
    first.start()
    try:
        api.wait_until(account, _only_generation(api, account), lambda g: g["progress"] > 0)
        concurrent = post(api, account, key, slow)
    finally:
        first.join()

    assert concurrent.status_code == 409, concurrent.text
    assert concurrent.json()["code"] == "idempotency_in_progress"
    assert concurrent.headers["retry-after"] == "1"
    assert answers[0].status_code == 200
    replay = post(api, account, key, slow)
    assert replay.json() == answers[0].json()


def _only_generation(api: Api, account: Account) -> str:
    import time

    for _ in range(200):
        found = generations_of(api, account)
        if found:
            return str(found[0]["id"])
        time.sleep(0.05)
    raise AssertionError("the first request never created its generation")


def test_a_refused_request_is_not_kept(start_api: StartApi, make_account: Any) -> None:
    api = start_api()
    account = make_account(plan="pro", credits=10)
    key = str(uuid.uuid4())

    short = post(api, account, key, {"count": 1, "size": 16})
    assert short.status_code == 402, short.text

    with api.runtime.db.transaction() as session:
        from krev.billing.service import grant_credits
        from krev.models import Cause

        grant_credits(session, account.user_id, 100, "top-up", cause=Cause.admin())
    paid = post(api, account, key, {"count": 1, "size": 16})
    assert paid.status_code == 200, paid.text
    assert "idempotent-replayed" not in paid.headers


def test_a_failed_job_is_kept_and_replayed_not_rerun(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account(plan="pro")
    key = str(uuid.uuid4())

    failed = post(api, account, key, {"fail": True})
    again = post(api, account, key, {"fail": True})

    assert failed.status_code == 500 and failed.json()["code"] == "generation_failed"
    assert again.json() == failed.json() and again.headers["idempotent-replayed"] == "true"
    assert len(generations_of(api, account)) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ünï"])
def test_a_malformed_key_is_a_400(start_api: StartApi, make_account: Any, key: str) -> None:
    api = start_api(embedded_workers=0)
    account = make_account(plan="pro")
    start = api.balance(account)

    response = api.client.post(
        "/api/v1/test-jobs",
        json={"params": {}},
        headers={**account.headers, "Idempotency-Key": key.encode()},
    )

    assert response.status_code == 400, response.text
    assert "Idempotency-Key" in response.json()["error"]
    assert api.balance(account) == start


def test_two_authorization_headers_are_refused_and_claim_nothing(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    first, second = make_account(plan="pro"), make_account(plan="pro")
    balances = api.balance(first), api.balance(second)
    key = str(uuid.uuid4())

    response = api.client.post(
        "/api/v1/test-jobs",
        json={"params": {"count": 1, "size": 16}, "cost": 40},
        headers=[
            ("Authorization", f"Bearer {first.key}"),
            ("Authorization", f"Bearer {second.key}"),
            ("Idempotency-Key", key),
        ],
    )

    assert response.status_code == 400, response.text
    assert "one Authorization header" in response.json()["error"]
    assert (api.balance(first), api.balance(second)) == balances
    assert generations_of(api, first) == generations_of(api, second) == []
    # The key was kept for neither caller: each one's first request with it runs.
    for account in (first, second):
        again = post(api, account, key, {"count": 1, "size": 16})
        assert again.status_code == 200, again.text
        assert "idempotent-replayed" not in again.headers


def test_two_idempotency_keys_are_refused(start_api: StartApi, make_account: Any) -> None:
    api = start_api(embedded_workers=0)
    account = make_account(plan="pro")
    start = api.balance(account)

    response = api.client.post(
        "/api/v1/test-jobs",
        json={"params": {}},
        headers=[
            *account.headers.items(),
            ("Idempotency-Key", str(uuid.uuid4())),
            ("Idempotency-Key", str(uuid.uuid4())),
        ],
    )

    assert response.status_code == 400, response.text
    assert "one Idempotency-Key header" in response.json()["error"]
    assert api.balance(account) == start
    assert generations_of(api, account) == []


def test_expired_keys_are_purged_by_the_sweeper_and_free_again(
    start_api: StartApi, make_account: Any
) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from krev.composition import build_janitor
    from krev.kit.clock import utcnow
    from krev.models import IdempotencyRecord

    api = start_api()
    account = make_account(plan="pro")
    key = str(uuid.uuid4())
    assert post(api, account, key, {"count": 1, "size": 16}).status_code == 200
    with api.runtime.db.transaction() as session:
        session.execute(
            update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    assert build_janitor(api.runtime).sweep()["idempotency_keys"] == 1

    with api.runtime.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    fresh = post(api, account, key, {"count": 1, "size": 32})
    assert fresh.status_code == 200 and "idempotent-replayed" not in fresh.headers


@BOTH_MODES
def test_a_post_with_a_key_looks_its_caller_up_once(start_api: StartApi, make_account: Any) -> None:
    """The idempotency layer needs the caller (it scopes keys per user) before the route runs;
    the route's authentication takes the same answer instead of looking the key up again."""
    from sqlalchemy import event

    # No read cache, so every lookup of the key's owner reaches the database.
    api = start_api(read_cache_seconds=0, embedded_workers=0)
    account = make_account(plan="pro")
    lookups: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_keys" in statement:
            lookups.append(statement)

    engines = (api.runtime.db.engine, api.runtime.db.loop_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        answer = post(api, account, str(uuid.uuid4()), {"size": 16}, Prefer="respond-async")
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 202, answer.text
    assert len(lookups) == 1, lookups
