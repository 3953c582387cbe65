"""The tools' schemas and descriptions as a client lists them, and the thumbnails, without a
server."""

from __future__ import annotations

import io

from PIL import Image

from krev.mcp.media import THUMBNAIL_PX, thumbnail
from krev.mcp.tools import DEFAULT_WAIT_SECONDS, tools

LONG_TOOLS = {"upload_product", "generate_images", "generate_video", "generate_ads", "start_chat"}
POLLING_TOOLS = {"get_generation", "get_chat_run"}


def test_every_tool_and_argument_is_described() -> None:
    for tool in tools():
        assert tool.title and len(tool.description) > 60, tool.name
        assert "\n" not in tool.description, tool.name
        assert tool.annotations is not None, tool.name
        schema = tool.parameters
        assert schema["type"] == "object"
        for name, argument in schema.get("properties", {}).items():
            assert argument.get("description"), f"{tool.name}.{name}"
        reads = tool.annotations.read_only_hint
        assert reads == (tool.name.startswith(("get_", "list_"))), tool.name


def test_long_tools_wait_and_polling_tools_answer_at_once_by_default() -> None:
    by_name = {tool.name: tool.parameters["properties"] for tool in tools()}
    for name in LONG_TOOLS:
        assert by_name[name]["wait_seconds"]["default"] == DEFAULT_WAIT_SECONDS == 50
    for name in POLLING_TOOLS:
        assert by_name[name]["wait_seconds"]["default"] == 0
    waiting = {name for name, properties in by_name.items() if "wait_seconds" in properties}
    assert waiting == LONG_TOOLS | POLLING_TOOLS


def test_schemas_say_what_the_api_takes() -> None:
    by_name = {tool.name: tool.parameters for tool in tools()}
    images = by_name["generate_images"]
    assert images["required"] == ["prompt"]
    assert images["properties"]["image_count"]["enum"] == [1, 2, 4]
    assert images["properties"]["aspect_ratio"]["enum"] == ["1:1", "16:9", "9:16", "4:3", "3:4"]
    ads = by_name["generate_ads"]
    assert ads["required"] == ["brief", "product_ids"]
    assert ads["properties"]["product_ids"]["minItems"] == 1
    assert ads["properties"]["product_ids"]["items"] == {"format": "uuid", "type": "string"}
    video = by_name["generate_video"]["properties"]["duration"]
    assert (video["minimum"], video["maximum"], video["default"]) == (4, 15, 5)
    chat = by_name["start_chat"]["properties"]["agent"]
    assert chat["enum"] == ["auto", "asset", "discover"]


def test_a_thumbnail_is_small_keeps_shape_and_alpha_and_skips_what_is_no_image() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (2000, 1000), (200, 40, 40, 128)).save(buffer, format="PNG")
    small = thumbnail(buffer.getvalue())
    assert small is not None and len(small) < 4096
    with Image.open(io.BytesIO(small)) as image:
        assert image.format == "WEBP" and image.size == (THUMBNAIL_PX, THUMBNAIL_PX // 2)
        assert image.mode == "RGBA"
    assert thumbnail(b"<html>not an image</html>") is None
