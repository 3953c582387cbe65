"""Logging in, API keys and the password, as a user does them in Chromium."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.conftest import Account

GENERIC = "Wrong email or password."


def test_login_is_generic_about_what_was_wrong(dashboard: Dashboard, account: Account) -> None:
    dashboard.problems.expected.append("401")
    page = dashboard.open("/dashboard/products")
    assert page.url.endswith("/dashboard/login?next=/dashboard/products")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    wrong_password = page.locator("#login-error")
    expect(wrong_password).to_have_text(GENERIC)
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(wrong_password).to_have_text(GENERIC)  # the same words: no hint which was wrong
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    # Back where the user was going.
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    assert page.url.endswith("/dashboard/products")


def _create_and_revoke_a_key(dashboard: Dashboard, account: Account) -> None:
    page = dashboard.open("/dashboard/settings/keys")
    page.get_by_label("Name").fill("Zapier <b>bold</b>")
    page.get_by_label("videos").uncheck()
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key-value")
    expect(secret).to_have_text(re.compile(r"^sk_live_\w+$"))
    key = secret.inner_text()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    row = page.locator("#keys tr", has_text="Zapier <b>bold</b>")  # shown as typed, not as markup
    expect(row).to_contain_text("never")
    with dashboard.api(key) as client:
        assert client.get("/api/v1/credits").status_code == 200
        # The scope left unchecked is missing from the key.
        assert client.post("/api/v1/videos", json={"product_id": "x"}).status_code == 403
    page.reload()
    expect(row).not_to_contain_text("never")  # last used now has a time

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke Zapier <b>bold</b>").click()
    expect(row).to_contain_text("revoked")
    with dashboard.api(key) as client:
        refused = client.get("/api/v1/credits")
        assert refused.status_code == 401 and refused.json()["success"] is False


def test_create_use_and_revoke_a_key(dashboard: Dashboard, account: Account) -> None:
    dashboard.log_in(account)
    _create_and_revoke_a_key(dashboard, account)


def test_keys_on_a_phone(phone: Dashboard, account: Account) -> None:
    phone.log_in(account)
    page = phone.open("/dashboard/settings/keys")
    _create_and_revoke_a_key(phone, account)
    assert_fits(page)


def test_change_the_password_and_log_in_again(dashboard: Dashboard, account: Account) -> None:
    dashboard.problems.expected.append("401")
    dashboard.problems.expected.append("403")
    dashboard.log_in(account)
    page = dashboard.open("/dashboard/settings/password")
    page.get_by_label("Current password").fill("wrong password")
    page.get_by_label("New password", exact=True).fill("a brand new secret")
    page.get_by_label("Repeat the new password").fill("a brand new secret")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-error")).not_to_be_empty()
    page.get_by_label("Current password").fill(account.password)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-done")).to_contain_text("Password changed.")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text(GENERIC)
    dashboard.log_in(account, password="a brand new secret", here=True)
    expect(page.get_by_role("heading", name="Credits & usage")).to_be_visible()


def test_an_ended_session_leads_back_to_login(dashboard: Dashboard, account: Account) -> None:
    dashboard.log_in(account)
    # The user changes the password elsewhere: every other session ends.
    with httpx.Client(base_url=dashboard.url) as elsewhere:
        login = elsewhere.post(
            "/api/v1/auth/login", json={"email": account.email, "password": account.password}
        )
        csrf = login.json()["data"]["csrf_token"]
        changed = elsewhere.post(
            "/api/v1/auth/password",
            json={"current_password": account.password, "new_password": "another secret 1"},
            headers={"X-CSRF-Token": csrf},
        )
        assert changed.status_code == 200, changed.text
    page = dashboard.open("/dashboard/settings/keys")
    expect(page.locator("#expired")).to_have_text("Your session has expired. Log in again.")
    dashboard.log_in(account, password="another secret 1", here=True)
    expect(page).to_have_url(dashboard.url + "/dashboard/settings/keys")


def test_every_page_fits_a_phone(phone: Dashboard, account: Account) -> None:
    from krev.dashboard.pages import PAGES

    phone.log_in(account)
    for listed in PAGES:
        page = phone.open(listed.path)
        expect(page.get_by_role("heading", name=listed.title, exact=True)).to_be_visible()
        assert_fits(page)
        assert_accessible(page)
    # The menu opens from its button and lists every page.
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    for listed in PAGES:
        expect(page.get_by_role("link", name=listed.title, exact=True)).to_be_visible()
