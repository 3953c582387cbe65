"""`krev mcp --stdio`: the `mcp` package's stdio client spawns the command, whose tools call a
live Krev server at KREV_BASE_URL with KREV_API_KEY; and the command refuses to start without
a key."""

from __future__ import annotations

import uuid

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from typer.testing import CliRunner

from krev.cli import app
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account
from tests.generations.stack import KREV_COMMAND, REPO_ROOT
from tests.images.conftest import GREEN_BOX
from tests.mcp.conftest import data, refusal, thumbnails
from tests.mcp.test_http import SCALE_OUT, TOOLS
from tests.support.live_server import LiveServer
from tests.support.round_robin import RoundRobin


def stdio(server: LiveServer, key: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(KREV_COMMAND),
        args=["mcp", "--stdio"],
        env={"KREV_BASE_URL": server.url, "KREV_API_KEY": key},
        cwd=REPO_ROOT,
    )


def test_the_stdio_server_calls_the_api_with_its_key(server: LiveServer, account: Account) -> None:
    async def session() -> None:
        async with Client(stdio(server, account.key), raise_exceptions=True) as client:
            listed = await client.list_tools()
            assert {tool.name for tool in listed.tools} == TOOLS
            uploaded = await client.call_tool(
                "upload_product", {"image_url": data_url(photo_bytes(GREEN_BOX, size=200))}
            )
            product = data(uploaded)
            assert product["status"] == "ready"
            # Fetched from the signed URL as given (the server's public address), without the key.
            [thumbnail] = thumbnails(uploaded)
            assert thumbnail.size == (200, 200)
            listing = data(await client.call_tool("list_products", {}))
            assert [p["id"] for p in listing["products"]] == [product["id"]]
            capabilities = data(await client.call_tool("get_capabilities", {}))
            assert capabilities["image"]["engine"] == "studio"
            body = refusal(await client.call_tool("get_product", {"product_id": str(uuid.uuid4())}))
            assert (body["code"], body["status"]) == ("not_found", 404)

    anyio.run(session)


@SCALE_OUT
def test_the_stdio_server_works_behind_a_load_balancer_of_two_api_processes(
    servers: list[LiveServer], account: Account
) -> None:
    """Its API calls go round-robin to the two processes: a product uploaded through one is
    read through the other, and an image started on one is followed on the other."""
    with RoundRobin([server.url for server in servers]) as proxy:
        params = stdio(servers[0], account.key)
        params.env = {**(params.env or {}), "KREV_BASE_URL": proxy.url}

        async def session() -> None:
            async with Client(params, raise_exceptions=True) as client:
                uploaded = data(
                    await client.call_tool(
                        "upload_product", {"image_url": data_url(photo_bytes(GREEN_BOX, size=200))}
                    )
                )
                listing = data(await client.call_tool("list_products", {}))
                assert [p["id"] for p in listing["products"]] == [uploaded["id"]]
                made = await client.call_tool(
                    "generate_images",
                    {
                        "prompt": "on white marble",
                        "product_id": uploaded["id"],
                        "wait_seconds": 120,
                    },
                )
                generation = data(made)
                assert generation["status"] == "succeeded", generation
                [thumbnail] = thumbnails(made)
                assert max(thumbnail.size) <= 256

        anyio.run(session)
        assert set(proxy.served) == {server.url for server in servers}


def test_the_command_needs_stdio_and_a_key() -> None:
    runner = CliRunner()

    answered = runner.invoke(app, ["mcp"], env={"KREV_API_KEY": "sk_live_x"})
    assert answered.exit_code == 2 and "--stdio" in answered.output

    answered = runner.invoke(app, ["mcp", "--stdio"], env={"KREV_API_KEY": ""})
    assert answered.exit_code == 2 and "KREV_API_KEY" in answered.output
