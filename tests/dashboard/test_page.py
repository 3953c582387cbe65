"""The dashboard's pages, server side: a session is needed (else the login page, keeping
where the user was going), strict headers, escaping, and the assets from this origin."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from krev.dashboard.pages import PAGES
from tests.accounts.dashboard import login
from tests.conftest import Account


def test_root_redirects_to_the_dashboard(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/dashboard"


@pytest.mark.parametrize("path", [page.path for page in PAGES])
def test_a_page_without_a_session_sends_to_login(client: TestClient, path: str) -> None:
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/dashboard/login?next={path}"


def test_an_expired_session_says_so(client: TestClient) -> None:
    client.cookies.set("krev_session", "not-a-live-session")
    page = client.get("/dashboard/products", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=/dashboard/products&expired=1"
    login_page = client.get(page.headers["location"])
    assert "Your session has expired. Log in again." in login_page.text
    assert 'data-next="/dashboard/products"' in login_page.text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/api/v1/keys", "/dashboard\\@evil"]
)
def test_login_never_sends_elsewhere(client: TestClient, target: str) -> None:
    page = client.get("/dashboard/login", params={"next": target})
    assert page.status_code == 200
    assert 'data-next="/dashboard"' in page.text


def test_every_page_renders_for_a_session(client: TestClient, account: Account) -> None:
    dashboard = login(client, account)
    for page in PAGES:
        response = client.get(page.path)
        assert response.status_code == 200, page.path
        assert response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert f"<title>{page.title.replace('&', '&amp;')} · Krev</title>" in response.text
        assert f'<meta name="krev-csrf" content="{dashboard.csrf}">' in response.text
        assert account.email in response.text
        # No inline script: every <script> loads a module from this origin.
        for tag in re.findall(r"<script[^>]*>", response.text):
            assert 'type="module" src="/dashboard/static/js/' in tag, tag
        module = re.search(r'src="(/dashboard/static/js/pages/[a-z_]+\.js)"', response.text)
        assert module is not None and client.get(module.group(1)).status_code == 200
    # A logged-in user opening the login page goes where they were going.
    again = client.get("/dashboard/login?next=/dashboard/chat", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/dashboard/chat"


def test_the_email_is_escaped(client: TestClient, make_account: Callable[..., Account]) -> None:
    account = make_account(email="a<script>x@example.com")
    login(client, account)
    page = client.get("/dashboard")
    assert "a<script>x" not in page.text and "a&lt;script&gt;x" in page.text


def test_assets(client: TestClient) -> None:
    for path in ("/dashboard/static/js/api.js", "/dashboard/static/css/dashboard.css"):
        assert client.get(path).status_code == 200
    assert "X-CSRF-Token" in client.get("/dashboard/static/js/api.js").text
    missing = client.get("/dashboard/static/nope.js")
    assert missing.status_code == 404
    assert missing.json()["success"] is False


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/dashboard/products/{id}", "product"),
        ("/dashboard/generations/{id}", "generation"),
        ("/dashboard/chat/{id}", "conversation"),
    ],
)
def test_a_record_page_is_404_unless_it_is_yours(
    client: TestClient, account: Account, path: str, what: str
) -> None:
    login(client, account)
    for record_id in (str(uuid.uuid4()), "not-an-id"):
        page = client.get(path.format(id=record_id))
        assert page.status_code == 404
        assert f"There is no {what} here" in page.text
        assert "content-security-policy" in page.headers
    client.cookies.clear()
    anonymous = client.get(path.format(id=uuid.uuid4()), follow_redirects=False)
    assert anonymous.status_code == 303
