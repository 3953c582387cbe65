"""POST /api/v1/ads end to end: the reference's answer, Meta's sizes, one copy per variant
laid out on the image and readable, the product shown with its own colors, 40 credits an
image, the style asked for or chosen by the brief, and the generation record."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.engines.providers import BODY_COPY_MAX, CTA_LABELS, HEADLINE_MAX, HOOK_MAX
from tests.ads.conftest import (
    SIZES,
    ad_generations,
    download,
    generated_ad,
    letters,
    post_ad,
    read_text,
)
from tests.conftest import Account
from tests.images.conftest import (
    BLUE_BOX,
    ORANGE_JAR,
    balance,
    create_product,
    cutout_color,
    generation,
    share_near,
)
from tests.support.origin_server import OriginServer


def _red_ad() -> bytes:
    """An inspiration: a red ad with a light band, as PNG."""
    pixels = np.zeros((256, 256, 3), np.uint8)
    pixels[...] = (200, 30, 40)
    pixels[100:150] = (250, 220, 200)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _check_copy(copies: list[dict[str, Any]], style_name: str) -> None:
    assert len({(c["hook"], c["headline"], c["body_copy"]) for c in copies}) == len(copies)
    for copy in copies:
        assert copy["style_name"] == style_name
        assert 0 < len(copy["hook"]) <= HOOK_MAX and 0 < len(copy["headline"]) <= HEADLINE_MAX
        assert 0 < len(copy["body_copy"]) <= BODY_COPY_MAX and copy["cta"] in CTA_LABELS


def test_ads_at_each_size_carry_their_copy_and_show_the_product(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    color = cutout_color(client, product)
    spent = 0
    for aspect_ratio, image_count in (("1:1", 1), ("4:5", 2), ("9:16", 4)):
        before = balance(client, account)
        body = {
            "brief": "Create a direct response ad for this storage box",
            "product_ids": [product["id"]],
            "aspect_ratio": aspect_ratio,
            "image_count": image_count,
        }

        data = generated_ad(client, account, body)

        assert data["image_count"] == len(data["images"]) == image_count
        assert data["credits_used"] == 40 * image_count
        assert balance(client, account) == before - 40 * image_count
        spent += 40 * image_count
        copies = data["ad_copies"]
        assert len(copies) == image_count and data["ad_copy"] == copies[0]
        _check_copy(copies, "Performance Master")  # "direct response" chooses it

        record = generation(client, account, data["generation_id"])
        assert record["kind"] == "ad" and record["status"] == "succeeded"
        assert record["credits_used"] == 40 * image_count
        output = record["output"]
        assert output["ad_copies"] == copies
        assert (output["style_id"], output["style_chosen_by"]) == ("performance", "brief")
        assert output["engine"] == {"image": "studio", "copy": "studio"}
        assert output["fallbacks"] == []
        assert len(output["urls"]) == image_count
        width, height = SIZES[aspect_ratio]
        sx, sy, sw, sh = output["scene_box"]
        ads = []
        for index, url in enumerate(data["images"]):
            ad = download(client, url)
            assert ad.shape == (height, width, 3)
            [placement] = output["variants"][index]["placements"]
            assert placement["product_id"] == product["id"]
            x, y, w, h = placement["box"]
            assert sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh
            # The product, in its own color, where the record says it is.
            assert share_near(ad[y : y + h, x : x + w], color) > 0.3
            ads.append(ad)
        assert len({ad.tobytes() for ad in ads}) == image_count, "each variant its own"

        if aspect_ratio == "4:5":
            # The copy is on the image, and reads back: the hook, headline and button.
            text = read_text(ads[1])
            for line in ("hook", "headline", "cta"):
                assert letters(copies[1][line]) in text, (copies[1][line], text)
            # Ads Manager takes no WebP: the same URL serves the same pixels as PNG.
            png = client.get(f"{data['images'][1]}&format=png")
            assert png.headers["content-type"] == "image/png"
            with Image.open(io.BytesIO(png.content)) as image:
                assert np.array_equal(np.asarray(image.convert("RGB")), ads[1])

        if aspect_ratio == "1:1":
            # A client's retry with the same Idempotency-Key answers as the first, charged once.
            key = {"Idempotency-Key": f"ad-{data['generation_id']}"}
            first = post_ad(client, account, body, **key)
            again = post_ad(client, account, body, **key)
            assert first.status_code == again.status_code == 200
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json()["data"]["generation_id"] == first.json()["data"]["generation_id"]
            spent += 40

    listed = ad_generations(client, account)
    assert len(listed) == 4 and {g["kind"] for g in listed} == {"ad"}
    assert sum(g["credits_used"] for g in listed) == spent
    assert balance(client, account) == 2500 - spent


# The LLM copywriter is configured but its server is down: the embedded one writes, and the
# generation says so.
DEAD_LLM = {
    "copy_engine": "openai",
    "llm_base_url": "http://127.0.0.1:9/v1",  # the discard port: nothing answers
    "llm_copy_model": "copy-model",
}


@pytest.mark.parametrize("settings", [DEAD_LLM], indirect=True)
def test_the_style_asked_for_or_chosen_by_the_brief_two_products_and_a_copy_fallback(
    client: TestClient, account: Account
) -> None:
    box = create_product(client, account, BLUE_BOX)
    jar = create_product(client, account, ORANGE_JAR)
    body = {
        "brief": "Spring launch for our storage range",
        "product_ids": [box["id"], jar["id"]],
        "style_id": "minimal_luxe",
        "brand_context": "Calm, honest, made to last.",
    }

    data = generated_ad(client, account, body)

    _check_copy(data["ad_copies"], "Minimal Luxe")
    output = generation(client, account, data["generation_id"])["output"]
    assert (output["style_id"], output["style_chosen_by"]) == ("minimal_luxe", "request")
    assert output["engine"] == {"image": "studio", "copy": "studio"}
    [fallback] = output["fallbacks"]
    assert (fallback["capability"], fallback["engine"]) == ("copy", "openai")
    assert fallback["reason"]
    assert output["product_ids"] == [box["id"], jar["id"]]
    ad = download(client, data["images"][0])
    assert ad.shape == (1350, 1080, 3)  # 4:5 unless asked
    placements = output["variants"][0]["placements"]
    assert [p["product_id"] for p in placements] == [box["id"], jar["id"]]
    for product, placement in zip((box, jar), placements, strict=True):
        x, y, w, h = placement["box"]
        assert share_near(ad[y : y + h, x : x + w], cutout_color(client, product)) > 0.2

    # An inspiration image steers the palette: the same ad on a red inspiration's ground.
    with OriginServer() as origin:
        url = origin.put("/inspiration.png", _red_ad(), "image/png")
        inspired = generated_ad(client, account, {**body, "inspiration_image": url})
        assert origin.paths == ["/inspiration.png"]
    plain_ground = ad[4, 4].astype(int)
    inspired_ground = download(client, inspired["images"][0])[4, 4].astype(int)
    assert plain_ground[2] > plain_ground[0], "the blue box's brand color tints the ground"
    assert inspired_ground[0] > inspired_ground[2], "the red inspiration's tints it now"
    read = generation(client, account, inspired["generation_id"])["output"]["inspiration"]
    red, green, blue = (int(read["colors"][0][i : i + 2], 16) for i in (1, 3, 5))
    assert abs(red - 200) + abs(green - 30) + abs(blue - 40) <= 6, read  # through WebP
    assert 0 <= read["density"] <= 1
    assert output["inspiration"] is None

    # Without style_id the brief's words choose: an offer is the message.
    offer = {"brief": "Summer sale: 20% off this week only", "product_ids": [box["id"]]}
    data = generated_ad(client, account, offer)

    _check_copy(data["ad_copies"], "Bold Offer")
    output = generation(client, account, data["generation_id"])["output"]
    assert (output["style_id"], output["style_chosen_by"]) == ("bold_offer", "brief")


def test_the_products_own_names_do_not_set_the_scene(client: TestClient, account: Account) -> None:
    # "Marble" names the jar, not the set: the scene stays the style's studio sweep.
    jar = create_product(client, account, ORANGE_JAR, name="Marble Jar")
    body = {
        "brief": "Launch ad for the Marble Jar, handmade in small batches",
        "product_ids": [jar["id"]],
    }
    scene = generation(client, account, generated_ad(client, account, body)["generation_id"])[
        "output"
    ]["scene"]
    assert scene["surface"] != "marble", scene
    assert "marble" not in scene["matched"], scene

    # Set words of its own still count.
    body = {
        **body,
        "brief": "Launch ad for the Marble Jar, handmade in small batches, on a marble counter",
    }
    scene = generation(client, account, generated_ad(client, account, body)["generation_id"])[
        "output"
    ]["scene"]
    assert scene["surface"] == "marble", scene
