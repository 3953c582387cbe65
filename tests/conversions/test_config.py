"""The Meta pixel configuration: dashboard session only (never a bearer key), the access token
encrypted at rest and never returned, and `krev admin meta-config`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.accounts.dashboard import assert_error, login
from tests.conftest import TEST_SECRET, Account
from tests.conversions.conftest import (
    ACCESS_TOKEN,
    CONFIG,
    PIXEL_ID,
    all_status,
    send,
    wait_for_events,
    website_event,
)
from tests.support.fake_graph import FakeGraph
from typer.testing import CliRunner

from krev.cli import app as cli
from krev.platform.config import Settings
from krev.platform.runtime import Runtime


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_configure_from_the_dashboard_token_never_shown(
    client: TestClient, runtime: Runtime, account: Account, graph: FakeGraph
) -> None:
    dashboard = login(client, account)
    assert client.get(CONFIG).json()["data"]["configured"] is False

    response = client.put(
        CONFIG,
        json={"pixel_id": PIXEL_ID, "access_token": ACCESS_TOKEN, "test_event_code": "TEST1"},
        headers={"X-CSRF-Token": dashboard.csrf},
    )

    assert response.status_code == 200, response.text
    assert ACCESS_TOKEN not in response.text
    data = response.json()["data"]
    assert data["configured"] is True
    assert data["pixel_id"] == PIXEL_ID
    assert data["access_token_hint"] == "…" + ACCESS_TOKEN[-4:]
    assert data["test_event_code"] == "TEST1"
    shown = client.get(CONFIG)
    assert shown.json()["data"] == data
    assert ACCESS_TOKEN not in shown.text
    with runtime.db.transaction(write=False) as session:
        [stored] = session.execute(text("SELECT * FROM meta_pixel_configs")).mappings().all()
    assert all(ACCESS_TOKEN not in str(value) for value in stored.values())
    assert ACCESS_TOKEN[-12:] not in stored["access_token_encrypted"]

    # The stored token is the one events go out with, with the configured test code.
    client.cookies.clear()
    assert send(client, account, website_event()).status_code == 200
    [batch] = graph.batches
    assert (batch.access_token, batch.test_event_code) == (ACCESS_TOKEN, "TEST1")

    # Updating without a token keeps the stored one.
    dashboard = login(client, account)
    response = client.put(
        CONFIG, json={"pixel_id": PIXEL_ID}, headers={"X-CSRF-Token": dashboard.csrf}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["test_event_code"] is None
    client.cookies.clear()
    assert send(client, account, website_event()).status_code == 200
    assert graph.batches[-1].access_token == ACCESS_TOKEN
    assert graph.batches[-1].test_event_code is None

    dashboard = login(client, account)
    deleted = client.delete(CONFIG, headers={"X-CSRF-Token": dashboard.csrf})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"deleted": True}
    client.cookies.clear()
    sentence = assert_error(send(client, account, website_event()), 400, "meta_not_configured")
    assert "PUT /api/v1/conversions/meta/config" in sentence


def test_config_refuses_bearer_keys_and_missing_csrf(client: TestClient, account: Account) -> None:
    body = {"pixel_id": PIXEL_ID, "access_token": ACCESS_TOKEN}
    assert_error(client.get(CONFIG, headers=account.headers), 401, "session_required")
    assert_error(client.put(CONFIG, json=body, headers=account.headers), 401, "session_required")
    assert_error(client.delete(CONFIG, headers=account.headers), 401, "session_required")

    login(client, account)
    assert_error(client.put(CONFIG, json=body), 403, "csrf_failed")
    assert client.get(CONFIG).json()["data"]["configured"] is False


def test_config_bad_input(client: TestClient, account: Account) -> None:
    dashboard = login(client, account)
    csrf = {"X-CSRF-Token": dashboard.csrf}
    sentence = assert_error(client.put(CONFIG, json={"pixel_id": PIXEL_ID}, headers=csrf), 400)
    assert "access_token" in sentence
    sentence = assert_error(
        client.put(
            CONFIG, json={"pixel_id": "pixel-1", "access_token": ACCESS_TOKEN}, headers=csrf
        ),
        400,
    )
    assert "pixel_id" in sentence
    assert client.get(CONFIG).json()["data"]["configured"] is False


def test_admin_meta_config(
    settings: Settings, client: TestClient, account: Account, graph: FakeGraph
) -> None:
    env = {
        "KREV_ENV": "test",
        "KREV_SECRET_KEY": TEST_SECRET,
        "KREV_DATA_DIR": str(settings.data_dir),
        "KREV_DATABASE_URL": settings.resolved_database_url,
    }
    args = ["admin", "meta-config", account.email, "--pixel-id", PIXEL_ID]
    result = CliRunner().invoke(cli, [*args, "--access-token", ACCESS_TOKEN], env=env)
    assert result.exit_code == 0, result.output
    assert ACCESS_TOKEN not in result.output
    assert ACCESS_TOKEN[-4:] in result.output

    assert send(client, account, website_event()).status_code == 200
    wait_for_events(client, account, all_status("sent"))
    assert graph.batches[0].access_token == ACCESS_TOKEN

    result = CliRunner().invoke(cli, ["admin", "meta-config", account.email, "--remove"], env=env)
    assert result.exit_code == 0, result.output
    assert_error(send(client, account, website_event()), 400, "meta_not_configured")

    result = CliRunner().invoke(
        cli,
        ["admin", "meta-config", account.email, "--pixel-id", "abc", "--access-token", "x"],
        env=env,
    )
    assert result.exit_code == 1
    assert "pixel_id" in result.output


def test_the_dashboard_page_manages_the_pixel_through_the_session_alone(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    """What the dashboard's Meta section calls, with only the session cookie and CSRF token:
    the configuration, and the recent events (a key endpoint that also takes the session)."""
    assert send(client, configured, website_event()).status_code in (200, 202)
    dashboard = login(client, configured)
    page = client.get("/dashboard/settings/pixel").text
    script = client.get("/dashboard/static/js/pages/pixel.js").text
    assert '<form id="meta-form">' in page
    for call in ("/api/v1/conversions/meta/config", "/api/v1/conversions/meta/events"):
        assert call in script
    config = client.get(CONFIG)
    events = client.get("/api/v1/conversions/meta/events", params={"limit": 20})
    # Saving without a token keeps the stored one (the page leaves the field empty).
    kept = client.put(CONFIG, json={"pixel_id": PIXEL_ID}, headers={"X-CSRF-Token": dashboard.csrf})

    assert config.status_code == 200 and config.json()["data"]["configured"] is True
    assert events.status_code == 200 and len(events.json()["data"]) == 1
    assert kept.status_code == 200, kept.text
    assert kept.json()["data"]["access_token_hint"] == config.json()["data"]["access_token_hint"]
