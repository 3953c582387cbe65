"""The dashboard page is served with strict headers and its assets load from this origin."""

from fastapi.testclient import TestClient


def test_dashboard_page_and_assets(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/dashboard"

    page = client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "Settings → API Keys" in page.text

    script = client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200
    assert "X-CSRF-Token" in script.text  # writes carry the CSRF header
    assert client.get("/dashboard/static/dashboard.css").status_code == 200
    # The password form posts what POST /api/v1/auth/password takes.
    assert '<form id="password-form">' in page.text
    for field in ("current_password", "new_password"):
        assert f'name="{field}"' in page.text and f"{field}: form.get(" in script.text
    assert '"/api/v1/auth/password"' in script.text
    missing = client.get("/dashboard/static/nope.js")
    assert missing.status_code == 404
    assert missing.json()["success"] is False
