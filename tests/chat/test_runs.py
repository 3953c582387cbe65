"""POST /api/v1/chat end to end with the embedded planner: the reference's answers, concepts
with copy and image ideas, renders charged to the run and decoded back, follow-ups in the same
conversation, the run's job among the generations, and conversations listed and read."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import av
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.engines.providers import BODY_COPY_MAX, HEADLINE_MAX, HOOK_MAX
from tests.catalog.conftest import data_url
from tests.chat.conftest import CHAT, artifacts, finished, poll, run_to_end, start
from tests.conftest import Account
from tests.images.conftest import (
    BLUE_BOX,
    ORANGE_JAR,
    balance,
    create_product,
    generation,
    palette_share,
)

REFERENCE_MESSAGE = "Make three ad concepts for this product and include image ideas"


def history(client: TestClient, account: Account) -> list[Any]:
    response = client.get("/api/v1/credits/history", params={"limit": 100}, headers=account.headers)
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def test_the_reference_example_writes_three_distinct_concepts_with_image_ideas(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)
    before = balance(client, account)

    queued = start(
        client,
        account,
        {"message": REFERENCE_MESSAGE, "product_ids": [product["id"]], "agent": "asset"},
    )
    run = finished(client, account, queued["run_id"])

    assert run["status"] == "succeeded", run
    assert run["agent"] == "asset" and run["agent_used"] == "asset"
    assert run["job"] == {"id": queued["job_id"], "status": "succeeded"}
    assert run["conversation_id"] == queued["conversation_id"]
    concepts = artifacts(run, "concept")
    assert len(concepts) == 3
    assert len({(c["hook"], c["headline"], c["body_copy"]) for c in concepts}) == 3
    assert len({c["image_prompt"] for c in concepts}) == 3
    for concept in concepts:
        assert 0 < len(concept["hook"]) <= HOOK_MAX
        assert 0 < len(concept["headline"]) <= HEADLINE_MAX
        assert 0 < len(concept["body_copy"]) <= BODY_COPY_MAX
        assert concept["cta"] and concept["image_prompt"]
    assert len(artifacts(run, "image_prompt")) == 3
    # Concepts only: nothing rendered, nothing charged.
    assert run["generation_ids"] == [] and run["media"] == [] and run["credits_used"] == 0
    assert balance(client, account) == before
    # The transcript: the user's message and the reply, which lists the concepts.
    roles = [(m["role"], m["id"]) for m in run["messages"]]
    assert roles == [
        ("user", queued["user_message_id"]),
        ("assistant", queued["assistant_message_id"]),
    ]
    assert run["messages"][0]["content"] == REFERENCE_MESSAGE
    assert run["assistant_text"] == run["messages"][1]["content"]
    for concept in concepts:
        assert concept["headline"] in run["assistant_text"]
    # The run's job is a generation of kind chat that cost nothing.
    job = generation(client, account, queued["job_id"])
    assert job["kind"] == "chat" and job["status"] == "succeeded"
    assert job["credits_used"] == 0 and job["source"] == "api"


def test_rendering_concepts_charges_each_image_to_the_run(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, ORANGE_JAR)
    before = balance(client, account)

    run = run_to_end(
        client,
        account,
        {
            "message": "Write two ad concepts for this jar and render them as square images",
            "product_ids": [product["id"]],
        },
    )

    assert run["status"] == "succeeded", run
    assert run["agent_used"] == "asset"
    assert len(artifacts(run, "concept")) == 2
    assert len(run["generation_ids"]) == 2 and len(run["generations"]) == 2
    assert [g["id"] for g in run["generations"]] == run["generation_ids"]
    assert all(g["kind"] == "image" and g["status"] == "succeeded" for g in run["generations"])
    assert run["credits_used"] == 80
    assert balance(client, account) == before - 80
    # Each render is recorded as caused by the run, with the key that started it.
    for record in run["generations"]:
        assert record["source"] == f"chat:{run['run_id']}"
        assert record["api_key_id"] is not None
    charged = [e for e in history(client, account) if e["generation_id"] in run["generation_ids"]]
    assert charged and all(e["source"] == f"chat:{run['run_id']}" for e in charged)
    # The media are the renders' signed URLs: square WebP images.
    assert {m["generation_id"] for m in run["media"]} == set(run["generation_ids"])
    for media in run["media"]:
        assert media["kind"] == "image"
        response = client.get(media["url"])
        assert response.status_code == 200
        with Image.open(io.BytesIO(response.content)) as image:
            assert image.format == "WEBP" and image.width == image.height
    assert len(artifacts(run, "media")) == 2


@pytest.mark.parametrize("settings", [{"chat_poll_seconds": 60.0}], indirect=True)
def test_the_last_render_to_end_wakes_the_run_long_before_its_next_look(
    client: TestClient, account: Account
) -> None:
    product = create_product(client, account, BLUE_BOX)

    run = run_to_end(
        client,
        account,
        {
            "message": "Write two ad concepts for this box and render them",
            "product_ids": [product["id"]],
        },
    )

    assert run["status"] == "succeeded", run
    assert [g["status"] for g in run["generations"]] == ["succeeded", "succeeded"]
    took = datetime.fromisoformat(run["completed_at"]) - datetime.fromisoformat(run["created_at"])
    # Looking again only every 60 s, the run ended when its last render did.
    assert took < timedelta(seconds=60), took


def test_a_follow_up_uses_the_conversation(client: TestClient, account: Account) -> None:
    product = create_product(client, account, BLUE_BOX)
    first = start(
        client,
        account,
        {"message": REFERENCE_MESSAGE, "product_ids": [product["id"]], "agent": "asset"},
    )
    concepts = artifacts(finished(client, account, first["run_id"]), "concept")

    second = start(
        client,
        account,
        {"message": "Make the second one darker", "conversation_id": first["conversation_id"]},
    )
    run = finished(client, account, second["run_id"])

    assert second["conversation_id"] == first["conversation_id"]
    assert run["status"] == "succeeded", run
    (media,) = artifacts(run, "media")
    assert media["kind"] == "image" and media["status"] == "succeeded"
    # The second concept's image idea, made darker, with the conversation's product.
    assert "low-key" in media["prompt"] and "low-key" not in concepts[1]["image_prompt"]
    surface = concepts[1]["image_prompt"].split(",")[0].split(" on ")[-1].split()[-1]
    assert surface in media["prompt"]
    (record,) = run["generations"]
    assert record["status"] == "succeeded"

    third = start(
        client,
        account,
        {"message": "now a 9:16 video of it", "conversation_id": first["conversation_id"]},
    )
    run = finished(client, account, third["run_id"])
    assert run["status"] == "succeeded", run
    (media,) = run["media"]
    assert media["kind"] == "video"
    response = client.get(media["url"])
    assert response.status_code == 200
    with av.open(io.BytesIO(response.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1080, 1920)

    conversation = client.get(
        f"{CHAT}/conversations/{first['conversation_id']}", headers=account.headers
    ).json()["data"]
    assert conversation["runs"] == [first["run_id"], second["run_id"], third["run_id"]]
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"] * 3
    assert conversation["messages"][2]["content"] == "Make the second one darker"


def test_conversations_are_listed_newest_first_a_page_at_a_time(
    client: TestClient, account: Account, make_account: Any
) -> None:
    runs = [
        start(client, account, {"message": f"How many credits do I have? ({n})"}) for n in range(3)
    ]
    for queued in runs:
        finished(client, account, queued["run_id"])

    page = client.get(CHAT, params={"limit": 2}, headers=account.headers).json()
    assert [c["id"] for c in page["data"]] == [
        runs[2]["conversation_id"],
        runs[1]["conversation_id"],
    ]
    assert page["meta"]["next_cursor"]
    rest = client.get(
        CHAT, params={"limit": 2, "cursor": page["meta"]["next_cursor"]}, headers=account.headers
    ).json()
    assert [c["id"] for c in rest["data"]] == [runs[0]["conversation_id"]]
    assert rest["data"][0]["title"].startswith("How many credits do I have?")

    # Another user sees none of them, and reads each as missing.
    other = make_account()
    assert client.get(CHAT, headers=other.headers).json()["data"] == []
    for path in (
        f"{CHAT}/runs/{runs[0]['run_id']}",
        f"{CHAT}/conversations/{runs[0]['conversation_id']}",
    ):
        response = client.get(path, headers=other.headers)
        assert response.status_code == 404, response.text
        assert response.json()["success"] is False
    response = client.post(f"{CHAT}/runs/{runs[0]['run_id']}/cancel", headers=other.headers)
    assert response.status_code == 404


def test_credits_and_products_are_answered_from_the_account(
    client: TestClient, account: Account
) -> None:
    create_product(client, account, BLUE_BOX)
    run = run_to_end(client, account, {"message": "How many credits do I have left?"})
    assert run["status"] == "succeeded", run
    (result,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "check_credits"]
    assert result["balance"] == balance(client, account)
    assert f"{result['balance']:,} credits" in run["assistant_text"]

    run = run_to_end(client, account, {"message": "List my products"})
    (result,) = [a for a in artifacts(run, "tool_result") if a["tool"] == "list_products"]
    assert result["count"] == 1


def test_an_idempotency_key_replays_the_same_run(client: TestClient, account: Account) -> None:
    body = {"message": "How many credits do I have?"}
    first = start(client, account, body, **{"Idempotency-Key": "chat-once-1"})
    again = start(client, account, body, **{"Idempotency-Key": "chat-once-1"})
    assert again == first
    assert len(client.get(CHAT, headers=account.headers).json()["data"]) == 1
    assert poll(client, account, first["run_id"])["run_id"] == first["run_id"]


def test_capabilities_say_who_plans_and_what_research_covers(
    client: TestClient, account: Account
) -> None:
    response = client.get("/api/v1/capabilities", headers=account.headers)
    assert response.status_code == 200, response.text
    chat = response.json()["data"]["chat"]
    assert chat["engine"] == "studio" and chat["agents"] == ["auto", "asset", "discover"]
    assert chat["ad_library"] is False and chat["run_credit_budget"] == 2000
    assert "generate_video" in chat["tools"]
    assert {e["id"]: e["configured"] for e in chat["engines"]} == {
        "openai": False,
        "studio": True,
    }


def test_reference_images_sent_with_the_message_steer_the_runs_renders(
    client: TestClient, account: Account
) -> None:
    red = io.BytesIO()
    Image.new("RGB", (300, 200), (220, 20, 30)).save(red, format="PNG")
    product = create_product(client, account, BLUE_BOX)

    run = run_to_end(
        client,
        account,
        {
            "message": "Render a square image of this box",
            "product_ids": [product["id"]],
            "reference_images": [data_url(red.getvalue())],
        },
    )

    assert run["status"] == "succeeded", run
    assert len(run["generations"]) == 1, run["assistant_text"]
    (record,) = run["generations"]
    assert record["status"] == "succeeded"
    # The run's tool handed the references to the render: its palette is theirs.
    assert palette_share(client, account, record["id"], (220, 20, 30)) > 0.9
