"""KREV_CHAT_ENGINE=openai: a tool-calling model (a local fake speaking OpenAI's published
chat-completions format, with scripted tool calls) works the run through the same tools: its
renders are charged to the run, a tool that fails is reported back and the run goes on, and a
model that is down before its first tool call hands the run to the embedded planner."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.catalog.conftest import data_url
from tests.chat.conftest import artifacts, run_to_end
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, balance, create_product, palette_share
from tests.support.fake_openai import FakeOpenAI

LLM_KEY = "sk-chat-llm-planner-key"

pytestmark = pytest.mark.llm


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=LLM_KEY) as fake:
        yield fake


@pytest.fixture
def client(make_settings: Callable[..., Settings], llm: FakeOpenAI) -> Iterator[TestClient]:
    settings = make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        chat_poll_seconds=0.2,
        chat_engine="openai",
        llm_base_url=llm.base_url,
        llm_api_key=LLM_KEY,
        llm_chat_model="chat-model",
    )
    with TestClient(build_app(build_runtime(settings)), base_url="http://127.0.0.1:8000") as c:
        yield c


def _tool_results(llm: FakeOpenAI) -> dict[str, Any]:
    """The tool results the model was sent back, by tool_call_id."""
    found: dict[str, Any] = {}
    for request in llm.requests:
        for message in request.messages:
            if message.get("role") == "tool":
                found[message["tool_call_id"]] = json.loads(message["content"])
    return found


def test_the_model_renders_through_the_tools_and_its_failures_are_sent_back(
    client: TestClient, account: Account, llm: FakeOpenAI, make_account: Any
) -> None:
    product = create_product(client, account, BLUE_BOX)
    strangers = create_product(client, make_account(), BLUE_BOX)
    before = balance(client, account)
    (credits_call,) = llm.queue_tool_calls(("check_credits", {}))
    failing, malformed = llm.queue_tool_calls(
        ("generate_images", {"prompt": "the box on marble", "product_id": strangers["id"]}),
        ("generate_images", '{"prompt": "the box", "image_count": 3'),
    )
    (render,) = llm.queue_tool_calls(
        ("generate_images", {"prompt": "the box on marble", "product_id": product["id"]})
    )
    llm.queue_text("I rendered one image of your box on marble.")

    run = run_to_end(
        client,
        account,
        {"message": "Render my box on marble", "product_ids": [product["id"]]},
    )

    assert run["status"] == "succeeded", run
    assert run["assistant_text"].startswith("I rendered one image of your box on marble.")
    # The model was told the selected product's id beside the message.
    first = llm.requests[0].messages
    assert any(product["id"] in str(m.get("content")) for m in first if m.get("role") == "user")
    results = _tool_results(llm)
    assert results[credits_call]["balance"] == before
    assert "not found" in results[failing]["error"].lower()  # another user's product
    assert malformed not in results or "error" in str(results[malformed]).lower()
    assert results[render]["kind"] == "image" and results[render]["status"] == "queued"
    # One render, charged to the run; the refused call is reported as an artifact.
    assert run["generation_ids"] == [results[render]["generation_id"]]
    assert run["generations"][0]["status"] == "succeeded"
    assert run["generations"][0]["source"] == f"chat:{run['run_id']}"
    assert balance(client, account) == before - 40
    refused = [a for a in artifacts(run, "tool_result") if not a["ok"]]
    assert [a["error_code"] for a in refused] == ["not_found"]
    # Sanitized: the other user's id the model tried is nowhere in what the run shows.
    assert strangers["id"] not in str(run)
    assert "Traceback" not in str(run) and LLM_KEY not in str(run)
    # Only Krev's creative tools were offered.
    offered = {tool["function"]["name"] for tool in llm.requests[0].tools or []}
    assert offered == {
        "list_products",
        "get_product",
        "check_credits",
        "write_concepts",
        "generate_images",
        "generate_video",
        "generate_ads",
        "research_ad_library",
    }


def test_a_model_that_is_down_hands_the_run_to_the_embedded_planner(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    llm.queue_failure(503)
    run = run_to_end(client, account, {"message": "How many credits do I have?"})

    assert run["status"] == "succeeded", run
    assert "embedded planner answered instead" in run["assistant_text"]
    (result,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "check_credits"]
    assert result["ok"] is True


def test_reference_images_sent_with_the_message_reach_the_models_renders(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    # The model's tool calls run inside its event loop; the references are read beside it.
    red = io.BytesIO()
    Image.new("RGB", (300, 200), (220, 20, 30)).save(red, format="PNG")
    product = create_product(client, account, BLUE_BOX)
    (render,) = llm.queue_tool_calls(
        ("generate_images", {"prompt": "the box on marble", "product_id": product["id"]})
    )
    llm.queue_text("I rendered your box in the reference's colors.")

    run = run_to_end(
        client,
        account,
        {
            "message": "Render my box in the colors of this picture",
            "product_ids": [product["id"]],
            "reference_images": [data_url(red.getvalue())],
        },
    )

    assert run["status"] == "succeeded", run
    assert run["generation_ids"] == [_tool_results(llm)[render]["generation_id"]]
    assert palette_share(client, account, run["generation_ids"][0], (220, 20, 30)) > 0.9
