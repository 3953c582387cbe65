"""/mcp over streamable HTTP, end to end with the `mcp` package's own client: two API processes
sharing PostgreSQL and Redis behind a round-robin load balancer (stateless: every request of a
client may land on another process), both protocol eras, progress while waiting, thumbnails,
tool errors with the API's messages, and the bearer key at the door."""

from __future__ import annotations

import io
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image

from krev.mcp.media import THUMBNAIL_PX
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, ORANGE_JAR
from tests.mcp.conftest import LoadBalancer, data, mcp_client, refusal, thumbnails
from tests.support.live_server import LiveServer

SCALE_OUT = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
NOWHERE = "http://127.0.0.1:9"  # the balancer picks the real address of each request

TOOLS = {
    "list_products",
    "get_product",
    "upload_product",
    "generate_images",
    "generate_video",
    "generate_ads",
    "list_ad_styles",
    "list_presets",
    "get_generation",
    "list_generations",
    "cancel_generation",
    "start_chat",
    "get_chat_run",
    "get_credits",
    "get_capabilities",
}


class Progress:
    """A call's progress notifications."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        assert total == 100
        self.seen.append((progress, message))


def full_image(url: str) -> Image.Image:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


@SCALE_OUT
def test_two_api_processes_serve_one_client_behind_a_load_balancer(
    servers: list[LiveServer], account: Account
) -> None:
    balancer = LoadBalancer([server.url for server in servers])

    async def session() -> None:
        async with mcp_client(NOWHERE, account.key, balancer=balancer) as client:
            listed = await client.list_tools()
            assert {tool.name for tool in listed.tools} == TOOLS
            credits = data(await client.call_tool("get_credits", {}))["credits"]["current"]

            # A product uploaded through one process is listed through the other.
            uploaded = await client.call_tool(
                "upload_product", {"image_url": data_url(photo_bytes(BLUE_BOX, size=256))}
            )
            product = data(uploaded)
            assert product["status"] == "ready" and product["thumbnails"] == [product["image_url"]]
            [thumbnail] = thumbnails(uploaded)
            assert full_image(product["image_url"]).size == (256, 256) == thumbnail.size
            listing = data(await client.call_tool("list_products", {"limit": 5}))
            assert [p["id"] for p in listing["products"]] == [product["id"]]
            assert listing["next_cursor"] is None

            # Images, waited for with progress: links and one small thumbnail each.
            progress = Progress()
            made = await client.call_tool(
                "generate_images",
                {
                    "prompt": "on white marble, soft light",
                    "product_ids": [product["id"]],
                    "image_count": 2,
                    "aspect_ratio": "16:9",
                },
                progress_callback=progress,
            )
            generation = data(made)
            assert generation["status"] == "succeeded" and generation["kind"] == "image"
            urls = generation["output"]["urls"]
            assert len(urls) == 2 and generation["thumbnails"] == urls
            full = full_image(urls[0])
            assert full.width > 4 * THUMBNAIL_PX
            for image in thumbnails(made):  # the full image's shape, 256 px wide
                assert image.width == THUMBNAIL_PX
                assert abs(image.height - THUMBNAIL_PX * full.height / full.width) < 1
            values = [value for value, _ in progress.seen]
            assert values == sorted(set(values)) and values[-1] == 100, progress.seen
            assert progress.seen[-1][1] == "succeeded"

            # Not waited for: the id to follow, then followed to the end.
            started = data(
                await client.call_tool(
                    "generate_images",
                    {"prompt": "on slate", "product_ids": [product["id"]], "wait_seconds": 0},
                )
            )
            assert started["status"] in ("queued", "processing")
            assert "call get_generation" in started["note"]
            followed = await client.call_tool(
                "get_generation", {"generation_id": started["id"], "wait_seconds": 120}
            )
            assert data(followed)["status"] == "succeeded"
            assert len(thumbnails(followed)) == 1

            assert data(await client.call_tool("get_credits", {}))["credits"]["current"] == (
                credits - 3 * 40
            )

    anyio.run(session)
    # The upload and the listing, the job's start and its poll: each on the other process.
    assert balancer.server_of("upload_product") != balancer.server_of("list_products")
    assert balancer.server_of("generate_images")[1] != balancer.server_of("get_generation")[0]


@SCALE_OUT
def test_a_chat_run_over_the_2026_protocol_across_both_processes(
    servers: list[LiveServer], account: Account
) -> None:
    balancer = LoadBalancer([server.url for server in servers])

    async def session() -> None:
        async with mcp_client(NOWHERE, account.key, balancer=balancer, mode="auto") as client:
            assert client.protocol_version == "2026-07-28"
            product = data(
                await client.call_tool(
                    "upload_product",
                    {"image_url": data_url(photo_bytes(ORANGE_JAR, size=256)), "name": "Jar"},
                )
            )
            progress = Progress()
            answered = await client.call_tool(
                "start_chat",
                {
                    "message": "Write one ad concept for this jar and render it as a square image",
                    "product_ids": [product["id"]],
                },
                progress_callback=progress,
            )
            run = data(answered)
            assert run["status"] == "succeeded", run
            assert run["agent_used"] == "asset" and run["credits_used"] == 40
            [media] = run["media"]
            assert run["thumbnails"] == [media["url"]]
            [thumbnail] = thumbnails(answered)
            assert thumbnail.size == (THUMBNAIL_PX, THUMBNAIL_PX)
            assert progress.seen and progress.seen[-1][0] == 100

            again = data(await client.call_tool("get_chat_run", {"run_id": run["run_id"]}))
            assert again["status"] == "succeeded" and again["media"] == run["media"]

    anyio.run(session)
    assert balancer.server_of("start_chat") != balancer.server_of("get_chat_run")


def test_refusals_are_tool_errors_with_the_apis_message(
    server: LiveServer, make_account: Any
) -> None:
    catalog_only = make_account(scopes=["products"])
    other = make_account()

    async def session() -> None:
        async with mcp_client(server.url, other.key) as client:
            theirs = data(
                await client.call_tool(
                    "upload_product",
                    {"image_url": data_url(photo_bytes(BLUE_BOX)), "skip_segmentation": True},
                )
            )
        async with mcp_client(server.url, catalog_only.key) as client:
            # A scope the key lacks: the API's 403.
            for tool, arguments in [
                ("get_credits", {}),
                ("generate_images", {"prompt": "on marble"}),
                ("start_chat", {"message": "three concepts"}),
            ]:
                body = refusal(await client.call_tool(tool, arguments))
                assert body["code"] == "insufficient_scope" and body["status"] == 403, body
                assert "scope" in body["error"]
            # Someone else's product, and an unknown kind: the API's 404 and 400.
            body = refusal(await client.call_tool("get_product", {"product_id": theirs["id"]}))
            assert (body["code"], body["status"]) == ("not_found", 404)
            body = refusal(await client.call_tool("list_generations", {"kind": "sculpture"}))
            assert body["status"] == 400 and "product_analysis" in body["error"], body
            # Arguments outside a tool's schema are refused before the API is called.
            result = await client.call_tool("get_product", {"product_id": "not-a-uuid"})
            assert result.is_error and "product_id" in str(result.content[0])
            result = await client.call_tool("generate_images", {"prompt": "x", "image_count": 3})
            assert result.is_error and "image_count" in str(result.content[0])

    anyio.run(session)


def test_without_a_valid_key_mcp_answers_401_in_the_api_envelope(
    server: LiveServer, account: Account
) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    accept = {"Accept": "application/json, text/event-stream"}
    for headers in [
        {},
        {"Authorization": "Bearer sk_live_" + "a" * 38},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Cookie": "krev_session=whatever"},
    ]:
        response = httpx.post(
            f"{server.url}/mcp", json=initialize, headers={**accept, **headers}, timeout=30
        )
        assert response.status_code == 401, (headers, response.text)
        body = response.json()
        assert body["success"] is False and body["code"] == "unauthorized", body
        assert body["error"]

    answered = httpx.post(
        f"{server.url}/mcp",
        json=initialize,
        headers={**accept, **account.headers},
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    assert "mcp-session-id" not in answered.headers  # stateless: nothing to come back to
