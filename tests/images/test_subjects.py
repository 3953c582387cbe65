"""Text-only prompts with the studio engine: the subject a prompt names is the caller's catalog
product, or a 400 before anything is reserved, stored or queued; given products are the subject
and the rest is listed as ignored; a prompt that names only a set renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from krev.images.service import engine_renders_subjects
from krev.platform.config import Settings
from krev.providers import registry
from tests.catalog.conftest import storage_root
from tests.conftest import Account
from tests.images.conftest import (
    BLUE_BOX,
    GREEN_BOX,
    ORANGE_JAR,
    balance,
    create_product,
    cutout_color,
    download,
    generate,
    generated,
    generation,
    image_generations,
    share_near,
)

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
REFERENCE_EXAMPLE = "Premium leather wallet on dark marble surface, studio lighting"


def _files(client: TestClient, account: Account) -> list[Path]:
    """Everything storage holds for the user, its products' files aside."""
    root = storage_root(client) / "users" / str(account.user_id)
    return sorted(p for p in root.rglob("*") if p.is_file() and "products" not in p.parts)


def _refused(client: TestClient, account: Account, body: dict[str, Any], code: str) -> Any:
    """POST /images refused with ``code``: nothing charged, listed or stored."""
    before, files = balance(client, account), _files(client, account)
    response = generate(client, account, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["success"] is False and error["code"] == code, error
    assert balance(client, account) == before
    assert image_generations(client, account) == []
    assert _files(client, account) == files
    return error


@BOTH_MODES
def test_the_references_example_without_its_product_is_refused_saying_both_ways_forward(
    client: TestClient, account: Account
) -> None:
    error = _refused(client, account, {"prompt": REFERENCE_EXAMPLE}, "subject_not_renderable")
    assert error["subject"] == "leather wallet"
    message = error["error"]
    for words in ('"leather wallet"', "POST /api/v1/products", "product_id", "KREV_IMAGE_ENGINE"):
        assert words in message, (words, message)
    # Two of the reference's examples, and the one that asked for three things at once.
    error = _refused(
        client, account, {"prompt": "cafe with latte and croissant"}, "subject_not_renderable"
    )
    assert error["subject"] == "cafe, latte, croissant"
    assert '"cafe", "latte" and "croissant"' in error["error"]


def test_a_preset_never_exempts_a_prompt_that_has_a_subject(
    client: TestClient, account: Account
) -> None:
    error = _refused(
        client,
        account,
        {"prompt": "Perfume bottle on black velvet", "preset_id": "dark_luxe"},
        "subject_not_renderable",
    )
    assert error["subject"] == "perfume bottle"


@BOTH_MODES
def test_several_equal_matches_are_refused_with_the_candidates(
    client: TestClient, account: Account
) -> None:
    red = create_product(client, account, ORANGE_JAR, name="Red Ceramic Mug")
    blue = create_product(client, account, BLUE_BOX, name="Blue Ceramic Mug")
    create_product(client, account, GREEN_BOX, name="Green Tea")

    error = _refused(client, account, {"prompt": "Mugs on a wooden table"}, "subject_ambiguous")

    assert error["subject"] == "mugs"
    assert sorted(error["candidates"], key=lambda c: c["name"]) == [
        {"id": blue["id"], "name": "Blue Ceramic Mug"},
        {"id": red["id"], "name": "Red Ceramic Mug"},
    ]
    assert "product_id" in error["error"]


def test_candidates_are_at_most_five(client: TestClient, account: Account) -> None:
    for n in range(6):
        create_product(client, account, BLUE_BOX, name=f"Candle No. {n}")

    error = _refused(client, account, {"prompt": "Candles in soft light"}, "subject_ambiguous")

    assert len(error["candidates"]) == 5
    assert all(c["name"].startswith("Candle No. ") for c in error["candidates"])


@BOTH_MODES
def test_the_product_a_prompt_names_is_used(client: TestClient, account: Account) -> None:
    wallet = create_product(client, account, BLUE_BOX, name="Premium Leather Wallet")
    create_product(client, account, GREEN_BOX, name="Leather Belt")
    color = cutout_color(client, wallet)
    before = balance(client, account)

    data = generated(client, account, {"prompt": REFERENCE_EXAMPLE})

    output = generation(client, account, data["generation_id"])["output"]
    assert output["product_ids"] == [wallet["id"]]
    assert output["subject_source"] == "catalog"
    assert output["subject"] == output["scene"]["subject"] == "leather wallet"
    assert output["scene"]["surface"] == "marble" and output["scene"]["tone"] == "dark"
    [placement] = output["variants"][0]["placements"]
    assert placement["product_id"] == wallet["id"]
    # The wallet is in the picture: its own blue fills much of its box.
    image = download(client, data["images"][0])
    x, y, w, h = placement["box"]
    inside = np.zeros(image.shape[:2], dtype=bool)
    inside[y : y + h, x : x + w] = True
    assert share_near(image[inside], color) > 0.3
    assert balance(client, account) == before - data["credits_used"]
    listed = client.get(
        "/api/v1/generations",
        params={"kind": "image", "product_id": wallet["id"]},
        headers=account.headers,
    )
    assert [g["id"] for g in listed.json()["data"]] == [data["generation_id"]]


def test_given_products_are_the_subject_and_the_rest_is_listed_as_ignored(
    client: TestClient, account: Account
) -> None:
    wallet = create_product(client, account, BLUE_BOX, name="Leather Wallet")

    data = generated(
        client,
        account,
        {"prompt": "Wallet and sunglasses on a desk, soft light", "product_id": wallet["id"]},
    )

    output = generation(client, account, data["generation_id"])["output"]
    assert output["product_ids"] == [wallet["id"]]
    assert output["subject_source"] is None and output["subject"] is None  # the products are
    assert output["scene"]["ignored"] == ["sunglasses", "desk"]
    assert output["scene"]["lighting"] == "soft_window"


def test_a_prompt_that_names_only_a_set_renders_with_or_without_a_preset(
    client: TestClient, account: Account
) -> None:
    # A product in the catalog changes nothing: the prompt names no subject.
    create_product(client, account, BLUE_BOX, name="Marble Coaster")
    for body in (
        {"prompt": "Dark marble surface with gold veins, spotlight, luxury"},
        {"prompt": "Product photo, pastel pink background, soft shadows", "preset_id": "podium"},
    ):
        data = generated(client, account, body)
        output = generation(client, account, data["generation_id"])["output"]
        assert output["product_ids"] == [] and output["variants"][0]["placements"] == []
        assert output["scene"]["subject"] is None and output["scene"]["ignored"] == []
        assert output["subject_source"] is None


def test_whether_an_engine_draws_subjects_from_text_is_its_declared_capability(
    make_settings: Any,
) -> None:
    studio: Settings = make_settings(image_engine="studio")
    assert engine_renders_subjects(studio) is False
    for spec in registry.specs("image"):
        assert spec.image is not None
        settings: Settings = make_settings(image_engine=spec.id)
        assert engine_renders_subjects(settings) is spec.image.text_only
