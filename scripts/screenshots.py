"""Screenshots of every dashboard page, at a desktop width and a phone's, into
docs/screenshots/: a fresh server on 127.0.0.1 (SQLite in a temporary folder, embedded
workers), a demo account with a few products, generations and a chat, and Debian's Chromium.

    .venv/bin/python -m scripts.screenshots        (or: make screenshots)
"""

from __future__ import annotations

import argparse
import io
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from tests.support.browser import DESKTOP, PHONE, chromium
from tests.support.live_server import LiveServer, bound_socket
from tests.support.product_photos import make_photo

from krev.accounts import service as accounts
from krev.accounts.keys import SCOPES
from krev.app import create_app
from krev.composition import build_runtime
from krev.dashboard.pages import PAGES
from krev.platform.config import Settings
from krev.platform.migrate import upgrade

OUT = Path("docs/screenshots")
EMAIL, PASSWORD = "maya@northwind.example", "a demo password"
# Photos of tests/support/product_photos.py with a brand label: a bottle, a box, a shoe.
PHOTOS = (3, 6, 16)


def _wait(client: httpx.Client, generation_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        data: dict[str, Any] = client.get(f"/api/v1/generations/{generation_id}").json()["data"]
        if data["status"] in ("succeeded", "failed", "cancelled"):
            return data
        time.sleep(0.3)
    raise RuntimeError(f"generation {generation_id} did not finish")


def _seed(client: httpx.Client) -> dict[str, str]:
    """Products, an image, an ad, a video and a chat: what a month of use leaves behind."""
    products = []
    for index in PHOTOS:
        buffer = io.BytesIO()
        Image.fromarray(make_photo(index, size=768).image).save(buffer, "PNG")
        answer = client.post(
            "/api/v1/products", files={"file": (f"photo-{index}.png", buffer.getvalue())}
        )
        answer.raise_for_status()
        body = answer.json()["data"]
        products.append(body.get("id") or body.get("product_id"))
    for product_id in products:
        product = f"/api/v1/products?id={product_id}"
        while client.get(product).json()["data"]["status"] == "analyzing":
            time.sleep(0.3)
    image = client.post(
        "/api/v1/images",
        json={"prompt": "On a marble counter in soft morning light", "product_id": products[0]},
        headers={"Prefer": "respond-async"},
    ).json()["data"]
    ad = client.post(
        "/api/v1/ads",
        json={"product_ids": [products[1]], "brief": "Autumn launch, warm and calm"},
        headers={"Prefer": "respond-async"},
    ).json()["data"]
    video = client.post(
        "/api/v1/videos",
        json={"prompt": "Slow turn on a linen table", "product_id": products[2], "duration": 4},
        headers={"Prefer": "respond-async"},
    ).json()["data"]
    jobs = [answer["generation_id"] for answer in (image, ad, video)]
    for job in jobs:
        _wait(client, job)
    chat = client.post(
        "/api/v1/chat",
        json={
            "message": "Make three ad concepts for this product and include image ideas",
            "product_ids": [products[0]],
        },
    ).json()["data"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/chat/runs/{chat['run_id']}").json()["data"]
        if run["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.3)
    return {
        "product": products[0],
        "generation": jobs[0],
        "chat": chat["conversation_id"],
    }


def _shoot(page: Page, url: str, path: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    # Images below the fold load lazily: bring each into view, then wait for them and videos.
    page.evaluate(
        """async () => {
            const shown = [...document.querySelectorAll('img, video')].map((node) => {
                node.loading = 'eager';
                node.scrollIntoView();
                if (node.tagName === 'IMG') {
                    return node.complete ? null : node.decode().catch(() => {});
                }
                if (node.readyState >= 2) return null;
                return new Promise((done) => {
                    node.addEventListener('loadeddata', done, { once: true });
                });
            });
            window.scrollTo(0, 0);
            await Promise.race([Promise.all(shown), new Promise((done) => setTimeout(done, 8000))]);
        }"""
    )
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path, full_page=True)


def _take(
    browser: Browser, base: str, records: dict[str, str], viewport: dict[str, int], out: Path
) -> None:
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{base}/dashboard/login")
    page.screenshot(path=out / f"login{'-phone' if phone else ''}.png")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    suffix = "-phone" if phone else ""
    for listed in PAGES:
        _shoot(page, base + listed.path, out / f"{listed.name}{suffix}.png")
    for name, path in (
        ("product", f"/dashboard/products/{records['product']}"),
        ("generation", f"/dashboard/generations/{records['generation']}"),
        ("conversation", f"/dashboard/chat/{records['chat']}"),
    ):
        _shoot(page, base + path, out / f"{name}{suffix}.png")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/krev.db"
        upgrade(database)
        # The server's address is its public base URL: the signed URLs of stored files then
        # name the server the browser talks to.
        sock = bound_socket()
        host, port = sock.getsockname()[:2]
        settings = Settings(
            env="development",
            public_base_url=f"http://{host}:{port}",
            secret_key=secrets.token_urlsafe(32),
            data_dir=Path(folder) / "data",
            database_url=database,
            embedded_workers=2,
            log_level="WARNING",
        )
        runtime = build_runtime(settings)
        with runtime.db.transaction() as session:
            user = accounts.create_user(session, settings, EMAIL, PASSWORD, "pro")
            _, key = accounts.create_key(session, settings, user.id, "Shopify sync", list(SCOPES))
        with LiveServer(create_app(settings, runtime=runtime), sock=sock) as server:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
                records = _seed(client)
            with chromium() as browser:
                for viewport in (DESKTOP, PHONE):
                    _take(browser, server.url, records, viewport, out)
    print(f"wrote {len(list(out.glob('*.png')))} screenshots to {out}/")


if __name__ == "__main__":
    main()
