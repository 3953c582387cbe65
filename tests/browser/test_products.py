"""The products gallery and a product's page as a user works them in Chromium: photos dropped
or chosen, their analysis followed to the end, a brand corrected, a non-image refused with
nothing stored, markup in a name shown as text, another user's product not found."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.conftest import Account
from tests.support.product_photos import make_photo

# Synthetic product photos whose labels analysis reads (tests/support/product_photos.py).
AURA_JAR = 10  # a brown jar labelled AURA
PURE_JAR = 9  # a green jar labelled PURE
NOT_AN_IMAGE = ("notes.png", "image/png", b"Shopping list: milk, eggs. Not a picture at all.")
MARKUP = "<img src=x onerror=alert(1)>"
UNSUPPORTED = "The file is not a supported image."


def photo_png(index: int, size: int = 320) -> bytes:
    image = Image.fromarray(np.ascontiguousarray(make_photo(index, size).image), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drop_files(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on the upload zone as a file manager would: a DataTransfer built in the
    page from the files' bytes, carried by dragenter, dragover and drop events."""
    encoded = [[name, kind, base64.b64encode(data).decode()] for name, kind, data in files]
    page.evaluate(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, type, data] of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            const zone = document.getElementById("dropzone");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type,
                    { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
        }""",
        encoded,
    )


def listed(dashboard: Dashboard, account: Account) -> list[dict[str, Any]]:
    with dashboard.api(account.key) as client:
        answer = client.get("/api/v1/products")
    assert answer.status_code == 200, answer.text
    products: list[dict[str, Any]] = answer.json()["data"]
    return products


def test_drop_photos_follow_the_analysis_correct_it_and_delete(
    dashboard: Dashboard, account: Account
) -> None:
    dashboard.problems.expected.append("415")  # the non-image, refused on purpose
    dashboard.log_in(account)
    page = dashboard.open("/dashboard/products")
    expect(page.locator("#products-empty")).to_be_visible()

    drop_files(page, [("aura.png", "image/png", photo_png(AURA_JAR)), NOT_AN_IMAGE])
    refused = page.locator(".product-upload", has_text="notes.png")
    expect(refused.get_by_role("alert")).to_contain_text(UNSUPPORTED)
    card = page.locator(".product-card")
    expect(card.get_by_role("status")).to_have_text("Ready")
    expect(page.locator(".product-upload", has_text="aura.png")).to_contain_text("Added as")
    expect(card).to_have_count(1)  # the refused file left no card
    expect(card.locator(".product-line")).to_contain_text("Aura")
    expect(card.get_by_role("list", name="Colors")).to_contain_text("brown")
    expect(card.get_by_role("img", name="Cutout of")).to_be_visible()
    (stored,) = listed(dashboard, account)  # and nothing of it stored
    assert stored["metadata"]["brandName"] == "Aura"

    card.get_by_role("link").click()
    expect(page).to_have_url(dashboard.url + f"/dashboard/products/{stored['id']}")
    expect(page.locator("#product-name")).to_have_text(stored["name"])
    brand = page.get_by_label("Brand")
    expect(brand).to_have_value("Aura")
    brand.fill("Aurora Labs")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#edit-done")).to_have_text("Saved.")
    page.reload()
    expect(page.get_by_label("Brand")).to_have_value("Aurora Labs")
    expect(page.locator("#product-facts")).to_contain_text("Aurora Labs")
    (corrected,) = listed(dashboard, account)
    assert corrected["metadata"]["brandName"] == "Aurora Labs"
    assert "Aurora Labs" in corrected["name"], "a derived name follows the corrected brand"

    page.get_by_label("Name").fill(MARKUP)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#product-name")).to_have_text(MARKUP)  # as typed, not as markup
    page.get_by_role("link", name="All products").click()
    expect(card.get_by_role("link")).to_have_text(MARKUP)
    assert page.locator("main img[src='x']").count() == 0

    card.get_by_role("link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete product").click()
    expect(page.locator("#products-empty")).to_be_visible()
    assert listed(dashboard, account) == []


def test_choose_a_photo_on_a_phone_and_another_users_product_is_not_found(
    phone: Dashboard, account: Account, make_account: Callable[..., Account]
) -> None:
    phone.problems.expected.append("404")
    other = make_account()
    with phone.api(other.key) as client:
        theirs = client.post(
            "/api/v1/products",
            files={"file": ("theirs.png", photo_png(AURA_JAR, 160), "image/png")},
            data={"skip_segmentation": "true"},
            headers={"Prefer": "respond-async"},
        )
    assert theirs.status_code in (200, 202), theirs.text

    phone.log_in(account)
    page = phone.open("/dashboard/products")
    chosen = FilePayload(name="pure.png", mimeType="image/png", buffer=photo_png(PURE_JAR))
    page.get_by_label("Choose photos").set_input_files(files=[chosen])
    card = page.locator(".product-card")
    expect(card.get_by_role("status")).to_have_text("Ready")
    expect(card.locator(".product-line")).to_contain_text("Pure")
    assert_fits(page)
    assert_accessible(page)
    card.get_by_role("link").click()
    expect(page.get_by_label("Brand")).to_have_value("Pure")
    assert_fits(page)
    assert_accessible(page)

    page = phone.open(f"/dashboard/products/{theirs.json()['data']['id']}")
    expect(page.get_by_text("There is no product here")).to_be_visible()
