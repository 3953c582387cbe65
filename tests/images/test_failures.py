"""Generations that fail in the worker: a product that drifted from its cutout, outputs that do
not fit the plan's storage. Either way the user reads why, and every credit comes back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.catalog.conftest import PRODUCTS
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import (
    BLUE_BOX,
    balance,
    create_product,
    generate,
    generation,
    image_generations,
    stored_outputs,
)

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@contextmanager
def _client(make_settings: Callable[..., Settings], **overrides: object) -> Iterator[TestClient]:
    values: dict[str, object] = {
        "plans": JOB_PLANS,
        "embedded_workers": 2,
        "sync_wait_seconds": 120.0,
        **overrides,
    }
    settings = make_settings(**values)
    app = build_app(build_runtime(settings))
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


@BOTH_MODES
def test_a_product_that_drifted_fails_the_generation_and_refunds(
    make_settings: Callable[..., Settings], account: Account
) -> None:
    # No placement can reach a fidelity above 1, so this threshold fails every product.
    with _client(make_settings, image_fidelity_threshold=1.01) as client:
        product = create_product(client, account, BLUE_BOX)
        before = balance(client, account)

        response = generate(
            client, account, {"prompt": "marble", "product_id": product["id"], "image_count": 2}
        )

        assert response.status_code == 500, response.text
        body = response.json()
        assert body["success"] is False and body["code"] == "generation_failed"
        assert "faithful" in body["error"] and "refunded" in body["error"]
        assert balance(client, account) == before
        [record] = image_generations(client, account)
        assert record["id"] == body["generation_id"]
        failed = generation(client, account, body["generation_id"])
        assert failed["status"] == "failed" and failed["credits_used"] == 0
        assert failed["error_code"] == "fidelity_check_failed"
        assert failed["output"] is None


def test_outputs_over_the_storage_quota_fail_cleanly(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    tiny = make_account(plan="tiny")
    with _client(make_settings) as client:
        before = balance(client, tiny)

        response = generate(client, tiny, {"prompt": "marble", "image_count": 2})

        assert response.status_code == 413, response.text
        assert response.json()["code"] == "storage_quota_exceeded"
        assert balance(client, tiny) == before
        usage = client.get("/api/v1/credits", headers=tiny.headers).json()["data"]["storage"]
        assert usage["used_bytes"] == 0
        [record] = image_generations(client, tiny)
        assert record["status"] == "failed" and record["output"] is None
        # The outputs written before the quota was checked are gone from storage too.
        assert stored_outputs(client, record["id"]) == []


def test_a_product_deleted_before_rendering_fails_the_generation_and_refunds(
    make_settings: Callable[..., Settings], account: Account
) -> None:
    queue = f"krev-test-{uuid.uuid4().hex[:12]}"
    with _client(make_settings, queue_name=queue) as client:
        product = create_product(client, account, BLUE_BOX)
    # Accepted by an API process without workers, so the job waits in the queue...
    with _client(make_settings, queue_name=queue, embedded_workers=0) as client:
        before = balance(client, account)
        response = generate(
            client,
            account,
            {"prompt": "marble", "product_id": product["id"]},
            Prefer="respond-async",
        )
        assert response.status_code == 202, response.text
        generation_id = response.json()["data"]["generation_id"]
        deleted = client.delete(PRODUCTS, params={"id": product["id"]}, headers=account.headers)
        assert deleted.status_code == 200, deleted.text
    # ...and run by workers that start after the product is gone.
    with _client(make_settings, queue_name=queue) as client:
        deadline = time.monotonic() + 120
        while (record := generation(client, account, generation_id))["status"] in (
            "queued",
            "processing",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert record["status"] == "failed" and record["error_code"] == "product_deleted"
        assert product["id"] in record["error"] and "deleted" in record["error"]
        assert balance(client, account) == before
