"""Conformance: every example request of the API reference, as written, against a server whose
image engine is an OpenAI-compatible Images API (a local fake), answers the status and the
response shape the reference shows.

The examples are copied verbatim into ``reference_examples.json`` (CI has no shared seed);
each request is parsed from its cURL command (or raw HTTP request) and sent as is, with only
the substitutions that file lists and explains (the key, ids from earlier answers, URLs that
must stay on 127.0.0.0/8, a stale event time). Endpoints Krev does not serve yet are listed
there as not yet implemented, with their issue, and are checked to be absent, never counted
as passing.
"""

from __future__ import annotations

import io
import json
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.platform.config import Settings
from tests.accounts.dashboard import login
from tests.catalog.conftest import photo_bytes
from tests.conftest import Account
from tests.conversions.conftest import ACCESS_TOKEN, PIXEL_ID, configure
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import create_product
from tests.support.fake_graph import FakeGraph
from tests.support.fake_openai_images import FakeOpenAIImages
from tests.support.origin_server import OriginServer

EXAMPLES = json.loads((Path(__file__).parent / "reference_examples.json").read_text())
REFERENCE = Path(__file__).parents[3] / "shared" / "seed" / "krev-api-reference.txt"
IMAGES_KEY = "sk-conformance-images-key"
PRODUCT_PHOTO = 4  # a blue box on white (tests/support/product_photos.py)
SNEAKERS_PHOTO = 16  # a shoe


@pytest.fixture
def images_api() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages(api_key=IMAGES_KEY) as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as fake:
        yield fake


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        server.put("/product.jpg", photo_bytes(PRODUCT_PHOTO, fmt="JPEG", size=512), "image/jpeg")
        yield server


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], images_api: FakeOpenAIImages, graph: FakeGraph
) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        image_engine="openai",
        openai_images_base_url=images_api.base_url,
        openai_images_api_key=IMAGES_KEY,
        fetch_allowlist=["127.0.0.1"],  # the origin, and images the provider gives as URLs
        meta_graph_url=graph.url,
    )


# --- the reference's requests, parsed ---------------------------------------------------------


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    form: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> Request:
    """A cURL command (-X, -H, -d, -F) or a raw HTTP request ("METHOD URL", headers, body)."""
    if not text.startswith("curl"):
        head, _, body = text.partition("\n\n")
        request_line, *header_lines = head.split("\n")
        verb, url = request_line.split(" ", 1)
        headers = dict(line.split(": ", 1) for line in header_lines)
        return Request(verb, url, headers, body or None)
    tokens = iter(shlex.split(text.replace("\\\n", " ")))
    assert next(tokens) == "curl"
    request = Request("GET", "")
    method: str | None = None
    for token in tokens:
        if token == "-X":
            method = next(tokens)
        elif token == "-H":
            name, value = next(tokens).split(": ", 1)
            request.headers[name] = value
        elif token == "-d":
            request.body = next(tokens)
        elif token == "-F":
            name, value = next(tokens).split("=", 1)
            request.form.append((name, value))
        else:
            request.url = token
    request.method = method or ("POST" if request.body or request.form else "GET")
    return request


@dataclass
class Replay:
    """Sends the examples to the app, substituting what ``substitutions`` lists."""

    client: TestClient
    account: Account
    origin: OriginServer
    values: dict[str, str] = field(default_factory=dict)

    def substitute(self, text: str) -> str:
        text = text.replace("sk_live_YOUR_KEY", self.account.key)
        text = text.replace("https://example.com/product.jpg", self.origin.url("/product.jpg"))
        for placeholder, value in self.values.items():
            text = text.replace(placeholder, value)
        return text

    def send(self, example: dict[str, Any], **extra_headers: str) -> Any:
        request = parse(self.substitute(example["request"]))
        path = request.url.removeprefix(EXAMPLES["base_url"])
        assert path.startswith("/api/v1/"), request.url
        headers = {**request.headers, **extra_headers}
        if request.form:
            data: dict[str, str] = {}
            files: dict[str, tuple[str, bytes, str]] = {}
            for name, value in request.form:
                if value.startswith("@"):
                    photo = photo_bytes(PRODUCT_PHOTO, fmt="JPEG", size=512)
                    files[name] = (value[1:], photo, "image/jpeg")
                else:
                    data[name] = value
            return self.client.request(
                request.method, path, headers=headers, data=data, files=files
            )
        content = request.body.encode() if request.body is not None else None
        return self.client.request(request.method, path, headers=headers, content=content)


def example(name: str) -> dict[str, Any]:
    [found] = [e for e in EXAMPLES["examples"] if e["name"] == name]
    return dict(found)


# --- shapes ------------------------------------------------------------------------------------


def shape_problems(
    expected: Any,
    actual: Any,
    path: str = "",
    *,
    free_form: frozenset[str] = frozenset(),
    nullable: frozenset[str] = frozenset(),
) -> list[str]:
    """Where ``actual`` lacks the reference's shape: every key the reference shows is there,
    with a value of the same JSON type (lists: every item shaped like the reference's first; how
    many items is the test's to check). A null in the reference allows anything; Krev may
    answer more keys than it shows."""
    where = path or "the body"
    if path in free_form or expected is None:
        return []
    if actual is None and path in nullable:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            inner = f"{path}.{key}" if path else key
            if key not in actual:
                problems.append(f"{inner}: missing")
            else:
                problems += shape_problems(
                    value, actual[key], inner, free_form=free_form, nullable=nullable
                )
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        problems = []
        for item in actual if expected else []:
            problems += shape_problems(
                expected[0], item, f"{path}[]", free_form=free_form, nullable=nullable
            )
        return problems
    if isinstance(expected, bool):
        ok = isinstance(actual, bool)
    elif isinstance(expected, int):
        ok = isinstance(actual, int) and not isinstance(actual, bool)
    elif isinstance(expected, float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
    else:
        ok = isinstance(actual, type(expected))
    return [] if ok else [f"{where}: expected {type(expected).__name__}, got {actual!r}"]


def conforms(name: str, response: Any) -> Any:
    """The example's answer: the reference's status (any 2xx where it shows none) and shape."""
    spec = example(name)
    body = response.json()
    if spec["status"] is None:
        assert 200 <= response.status_code < 300, (name, response.status_code, body)
        assert body["success"] is True, (name, body)
    else:
        assert response.status_code == spec["status"], (name, response.status_code, body)
    if "response" in spec:
        problems = shape_problems(
            spec["response"],
            body,
            free_form=frozenset(EXAMPLES["free_form"].get(name, {})),
            nullable=frozenset(EXAMPLES["nullable"].get(name, {})),
        )
        assert not problems, (name, problems, body)
    return body


def webp_size(client: TestClient, url: str) -> tuple[int, int]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return image.size


# --- the tests -------------------------------------------------------------------------------


def test_every_reference_example_answers_as_the_reference_shows(
    client: TestClient,
    account: Account,
    origin: OriginServer,
    images_api: FakeOpenAIImages,
    graph: FakeGraph,
) -> None:
    replay = Replay(client, account, origin)

    # API Keys, from a dashboard session (the reference shows requests only).
    dashboard = login(client, account)
    csrf = {"X-CSRF-Token": dashboard.csrf}
    created = conforms("Create Key", replay.send(example("Create Key"), **csrf))["data"]
    assert created["name"] == "Automation key"
    assert created["key"].startswith("sk_live_")
    replay.values["api_key_id"] = created["id"]
    conforms("Revoke Key", replay.send(example("Revoke Key"), **csrf))
    client.cookies.clear()  # from here on, the API key only

    # Upload Product, both ways, then List Products.
    for name in ("Upload Product (JSON)", "Upload Product (File Upload)"):
        product = conforms(name, replay.send(example(name)))["data"]
        assert product["name"] == "Premium Leather Wallet", "the name the request gave"
        assert product["source"] == "api"
        replay.values.setdefault("d1e2f3a4-...", product["id"])
    assert origin.paths == ["/product.jpg"]
    listed = conforms("List Products", replay.send(example("List Products")))
    assert listed["meta"]["count"] == len(listed["data"]) == 2

    # Generate Images: a text-only prompt, which the image provider draws.
    images = conforms("Generate Images", replay.send(example("Generate Images")))["data"]
    assert (images["image_count"], images["credits_used"], len(images["images"])) == (2, 80, 2)
    assert [webp_size(client, url) for url in images["images"]] == [(1024, 1024)] * 2
    prompt = "Premium leather wallet on dark marble surface, studio lighting"
    assert [r.endpoint for r in images_api.requests] == ["generations", "generations"]
    assert all(r.fields["prompt"] == prompt for r in images_api.requests)
    assert all(r.fields["size"] == "1024x1024" for r in images_api.requests)

    # Generation Status of that generation.
    replay.values["a1b2c3d4-..."] = images["generation_id"]
    status = conforms("Generation Status", replay.send(example("Generation Status")))["data"]
    assert (status["id"], status["kind"], status["status"]) == (
        images["generation_id"],
        "image",
        "succeeded",
    )
    assert (status["progress"], status["error"]) == (100, None)
    assert len(status["output"]["urls"]) == 2
    assert status["output"]["engine"] == "openai"

    # Generate Ads for the product uploaded from JSON: two 4:5 ads, each with its copy, the
    # scenes painted by the image provider around the product.
    ads = conforms("Generate Ads", replay.send(example("Generate Ads")))["data"]
    assert (ads["image_count"], ads["credits_used"], len(ads["images"])) == (2, 80, 2)
    assert [webp_size(client, url) for url in ads["images"]] == [(1080, 1350)] * 2
    assert ads["ad_copy"]["style_name"] == "Performance Master", "a direct response brief"
    assert len(ads["ad_copies"]) == 2 and ads["ad_copy"] == ads["ad_copies"][0]
    assert [r.endpoint for r in images_api.requests[2:]] == ["edits", "edits"]

    # Generate Video, the reference's own example: a text-only prompt. The studio video engine
    # draws sets and the caller's products, and there are no sneakers in the catalog yet
    # (``divergences``); once a pair is uploaded, the example as written films them.
    video_example = example("Generate Video")
    refused = replay.send(video_example)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "subject_not_renderable"
    assert "sneakers" in refused.json()["error"]
    create_product(client, account, SNEAKERS_PHOTO, name="Sneakers")
    video = conforms("Generate Video", replay.send(video_example))["data"]
    assert (video["duration"], video["credits_used"]) == (5, 400)
    mp4 = client.get(video["video_url"])
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(mp4.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1920, 1080)
        assert sum(1 for _ in container.decode(video=0)) == 5 * 24

    # Meta Conversions, once the account's pixel is set (the endpoint requires one). As
    # written, the example is one Meta would refuse twice over (``divergences``): each refusal
    # is checked by name, then the example is sent with just those two things mended.
    configure(client, account)
    conversion = example("Meta Conversions")
    refused = replay.send(conversion)
    assert refused.status_code == 400, refused.text
    assert refused.json()["success"] is False
    assert "event_time" in refused.json()["error"]
    replay.values["1777632000"] = str(int(time.time()) - 60)
    refused = replay.send(conversion)
    assert refused.status_code == 400, refused.text
    assert "user_data.client_user_agent" in refused.json()["error"]
    mended = conversion["request"].replace(
        '"email": "customer@example.com"',
        '"email": "customer@example.com", "client_user_agent": "Mozilla/5.0 (conformance)"',
    )
    assert mended != conversion["request"]
    sent = conforms("Meta Conversions", replay.send({**conversion, "request": mended}))
    assert sent == conversion["response"], "the reference's whole answer"
    [batch] = graph.batches
    assert batch.events[0]["event_id"] == "order_123"

    # Check Credits: 80 spent on the images, 80 on the ads, 400 on the video.
    credits = conforms("Check Credits", replay.send(example("Check Credits")))["data"]
    plan = JOB_PLANS["pro"]
    assert credits["credits"]["current"] == plan.monthly_credits - 560
    assert credits["credits"]["limit"] == plan.monthly_credits
    assert credits["plan"] == "pro"

    # Async Chat, for the product uploaded from JSON: the run is queued (202), polled to its
    # end, and its conversation read back. Chat itself is free, and the example asks for
    # concepts with image ideas, which render nothing.
    started = conforms("Start Chat Run", replay.send(example("Start Chat Run")))["data"]
    replay.values["run-uuid"] = started["run_id"]
    replay.values["conversation-uuid"] = started["conversation_id"]
    deadline = time.monotonic() + 120
    while True:
        run = conforms("Poll Run", replay.send(example("Poll Run")))["data"]
        if run["status"] not in ("queued", "processing"):
            break
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    assert run["status"] == "succeeded" and run["agent_used"] == "asset", run
    assert len([a for a in run["artifacts"] if a["type"] == "concept"]) == 3
    history = conforms("Conversation History", replay.send(example("Conversation History")))
    assert history["data"]["runs"] == [started["run_id"]]
    assert [m["role"] for m in history["data"]["messages"]] == ["user", "assistant"]
    assert replay.send(example("Check Credits")).json()["data"]["credits"]["current"] == (
        plan.monthly_credits - 560
    )


def test_the_error_shape_the_reference_shows(
    client: TestClient, make_account: Callable[..., Account], origin: OriginServer
) -> None:
    """The reference's error table: 400, 401, 402, 404, each in its error shape."""
    account = make_account()
    broke = make_account(credits=0)
    images = example("Generate Images")
    prompt_line = '"prompt": "Premium leather wallet on dark marble surface, studio lighting",'
    no_prompt = {**images, "request": images["request"].replace(prompt_line, "")}
    bad_key = {**images, "request": images["request"].replace("sk_live_YOUR_KEY", "sk_live_no")}
    unknown = "/api/v1/generations/6f1c1f5e-5d2b-4c8e-9a57-1b2c3d4e5f60"
    cases = [
        (Replay(client, account, origin).send(no_prompt), 400),
        (Replay(client, account, origin).send(bad_key), 401),
        (Replay(client, broke, origin).send(images), 402),
        (client.get(unknown, headers=account.headers), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert not shape_problems(EXAMPLES["error_shape"], body), body
        assert body["success"] is False and body["error"].strip()


@pytest.mark.parametrize(
    "pending",
    EXAMPLES["not_yet_implemented"],
    ids=[e["name"] for e in EXAMPLES["not_yet_implemented"]],
)
def test_examples_of_endpoints_not_implemented_yet_are_absent(
    client: TestClient, account: Account, origin: OriginServer, pending: dict[str, Any]
) -> None:
    """Listed with their issue, not counted as passing: while the endpoint is missing it
    answers 404; the day it exists this fails, and the example moves to ``examples``."""
    response = Replay(client, account, origin).send(pending)

    assert response.status_code == 404, (
        f"{pending['name']} (issue {pending['issue']}) is served now: move it from "
        "not_yet_implemented to examples in reference_examples.json"
    )


def test_the_copied_examples_are_the_references_own() -> None:
    """Every request copied is in the reference as written, and every request the reference
    shows is copied (run where the shared seed is checked out; CI replays the copies)."""
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} is not on this machine; the copies are replayed as they are")
    reference = REFERENCE.read_text()
    copied = [*EXAMPLES["examples"], *EXAMPLES["not_yet_implemented"]]
    for entry in copied:
        assert entry["request"] in reference, entry["name"]
    shown = reference.count("curl ") + reference.count("\nRequest\n")
    assert len(copied) == shown
