"""Fixtures for the accounts tests: a logged-in dashboard and a second browser."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.accounts.dashboard import Dashboard, login
from tests.conftest import Account


@pytest.fixture
def dashboard(client: TestClient, account: Account) -> Dashboard:
    """``account`` logged in to the dashboard in ``client``."""
    return login(client, account)


@pytest.fixture
def other_browser(app: FastAPI) -> TestClient:
    """A second client with its own cookie jar over the same app (and database)."""
    return TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
