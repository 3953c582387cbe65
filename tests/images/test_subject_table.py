"""The subject table (subject_table.json): what the studio engine does with each prompt, given
the table's catalog. Read and decided by the engine's own reader and matcher, then every row
again through POST /api/v1/images against that catalog, uploaded through the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.engines.studio.scene.subject import (
    SubjectPhrase,
    choose_products,
    framing_words,
    grammar,
    left_out,
    read_prompt,
    search_terms,
)
from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import create_product, generate
from tests.support.fake_openai import FakeOpenAI

TABLE = json.loads((Path(__file__).parent / "subject_table.json").read_text(encoding="utf-8"))
CATALOG: list[dict[str, str]] = TABLE["catalog"]
CASES: list[dict[str, Any]] = TABLE["cases"]
NAMES = ("name", "productName", "brandName", "productType")
KEY = "sk-subject-table"
BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def test_the_table_is_large_and_covers_every_outcome() -> None:
    assert len(CASES) >= 40
    assert {case["outcome"] for case in CASES} == {"set", "catalog", "refuse", "ambiguous", "given"}


def _find_in(catalog: Sequence[dict[str, str]]) -> Callable[[SubjectPhrase], list[Any]]:
    """The catalog query, in memory: rows whose texts contain one of the phrase's fragments
    (``catalog.repository.ProductRepository.ready_called`` does this in SQL)."""

    def find(phrase: SubjectPhrase) -> list[tuple[str, list[str]]]:
        fragments = search_terms(phrase)
        rows = []
        for product in catalog:
            texts = [product[key] for key in NAMES if product.get(key)]
            if fragments is None or any(f in t.lower() for f in fragments for t in texts):
                rows.append((product["name"], texts))
        return rows

    return find


@pytest.mark.parametrize("case", CASES, ids=[f"{c['outcome']}: {c['prompt']}" for c in CASES])
def test_the_reader_and_matcher_decide_each_row(case: dict[str, Any]) -> None:
    reading = read_prompt(case["prompt"])
    assert reading.subject == case["subject"]
    if case["outcome"] in ("set", "catalog"):  # what output.scene.ignored will list
        assert [p.text for p in reading.scene_nouns] == case.get("ignored", [])
    find = _find_in(CATALOG)
    outcome = case["outcome"]
    if outcome == "given":
        given = [p for p in CATALOG if p["name"] in case["given"]]
        shown = [(p["name"], [p[k] for k in NAMES if p.get(k)]) for p in given]
        unshown = left_out(reading.subjects, shown)
        assert unshown + [p.text for p in reading.scene_nouns] == case["ignored"]
        return
    choice = choose_products(reading.subjects, find)
    if outcome == "set":
        assert reading.subjects == ()
    elif outcome == "catalog":
        assert (choice.chosen, choice.missing, choice.ambiguous) == (case["products"], [], None)
    elif outcome == "refuse":
        assert choice.missing, choice
    else:
        assert not choice.missing and choice.ambiguous is not None
        assert sorted(choice.ambiguous[1]) == sorted(case["candidates"])


# --- the same table through the API ---------------------------------------------------------


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def settings(make_settings: Callable[..., Settings], llm: FakeOpenAI) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=1,
        sync_wait_seconds=120.0,
        product_analyzer="openai",
        llm_base_url=llm.base_url,
        llm_api_key=KEY,
    )


def _upload_catalog(client: TestClient, account: Account, llm: FakeOpenAI) -> dict[str, str]:
    """The table's catalog as the caller's ready products (the fake vision model names each);
    their ids by name."""
    ids = {}
    for index, product in enumerate(CATALOG):
        llm.answer({key: product.get(key) for key in ("brandName", "productName", "productType")})
        view = create_product(client, account, index % 12, name=product["name"])
        for key in ("brandName", "productName", "productType"):
            assert view["metadata"][key] == product.get(key), view
        ids[product["name"]] = view["id"]
    return ids


def _products_of(client: TestClient, account: Account, ids: dict[str, str]) -> dict[str, list[str]]:
    """generation id -> the names of the products it was made with (GET /generations'
    product_id filter)."""
    made: dict[str, list[str]] = {}
    for name, product_id in ids.items():
        listed = client.get(
            "/api/v1/generations",
            params={"kind": "image", "product_id": product_id, "limit": 100},
            headers=account.headers,
        )
        assert listed.status_code == 200, listed.text
        for generation in listed.json()["data"]:
            made.setdefault(generation["id"], []).append(name)
    return made


@BOTH_MODES
def test_every_row_through_the_api(client: TestClient, account: Account, llm: FakeOpenAI) -> None:
    ids = _upload_catalog(client, account, llm)
    names = {product_id: name for name, product_id in ids.items()}
    accepted: dict[str, dict[str, Any]] = {}
    for case in CASES:
        body: dict[str, Any] = {"prompt": case["prompt"]}
        if case.get("preset_id"):
            body["preset_id"] = case["preset_id"]
        if case["outcome"] == "given":
            body["product_ids"] = [ids[name] for name in case["given"]]
        response = generate(client, account, body, Prefer="respond-async")
        outcome = case["outcome"]
        if outcome in ("refuse", "ambiguous"):
            assert response.status_code == 400, (case, response.text)
            error = response.json()
            code = "subject_not_renderable" if outcome == "refuse" else "subject_ambiguous"
            assert error["code"] == code, (case, error)
            if outcome == "ambiguous":
                assert sorted(names[c["id"]] for c in error["candidates"]) == sorted(
                    case["candidates"]
                )
                assert all(c["name"] == names[c["id"]] for c in error["candidates"])
            continue
        assert response.status_code == 202, (case, response.text)
        generation_id = response.json()["data"]["generation_id"]
        accepted[generation_id] = case
        # Only what was accepted matters here, not the pixels: spare the worker the render.
        client.post(f"/api/v1/generations/{generation_id}/cancel", headers=account.headers)

    made = _products_of(client, account, ids)
    for generation_id, case in accepted.items():
        expected = case.get("products") or case.get("given") or []
        assert sorted(made.get(generation_id, [])) == sorted(expected), case


def test_the_docs_show_the_grammar_and_the_framing_words() -> None:
    """docs/images.md lists every word of the data files the reader uses."""
    docs = (Path(__file__).parents[2] / "docs" / "images.md").read_text(encoding="utf-8")
    data = grammar()
    words = [*framing_words(), *data["scene_prepositions"], *data["background_words"]]
    words += [*data["set"], *data["accents"], *data["colors"], *data["color_modifiers"]]
    for group in ("surfaces", "lighting", "camera", "mood", "tones", "props"):
        for value, phrases in data[group].items():
            words += [value, *phrases]
    missing = [word for word in words if word not in docs]
    assert missing == []
    assert f"holds {len(CASES)} such prompts" in docs
