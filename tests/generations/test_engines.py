"""The engine is chosen when a job is accepted and recorded with it: a worker that lacks that
engine fails the job with ``engine_unavailable`` and refunds it; it never renders it with
another engine (scale-out mode: the API is configured for the OpenAI-compatible engine, the
`krev worker` process, with its own settings as another machine would have, is not). A job
stored before engines were recorded still renders; every process refuses to start on an
engine it does not know or one without its settings, naming the setting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from krev.cli import app as cli
from krev.models import Generation
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import TEST_SECRET
from tests.generations.conftest import StartApi, StartProcess, StartWorkers
from tests.support.fake_openai_images import FakeOpenAIImages
from tests.support.tiny_onnx import chroma_saliency_model, write_model

KEY = "sk-images-api-test-engine-unavailable"


@pytest.fixture
def images_api() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages(api_key=KEY) as fake:
        yield fake


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_worker_without_the_jobs_engine_fails_it_and_refunds(
    start_api: StartApi,
    start_process: StartProcess,
    make_account: Any,
    images_api: FakeOpenAIImages,
) -> None:
    api = start_api(
        embedded_workers=0,
        image_engine="openai",
        openai_images_base_url=images_api.base_url,
        openai_images_api_key=KEY,
    )
    account = make_account()
    start = api.balance(account)
    response = api.client.post(
        "/api/v1/images",
        json={"prompt": "A ceramic teapot on a wooden table", "image_count": 2},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    assert api.balance(account) == start - 80, "reserved when accepted"

    worker_settings = api.settings.model_copy(
        update={"image_engine": "studio", "openai_images_base_url": None}
    )
    start_process(worker_settings, "worker", "--threads", "1")
    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "failed", final
    assert final["error_code"] == "engine_unavailable"
    assert "'openai'" in final["error"] and "refunded" in final["error"]
    assert api.balance(account) == start
    assert images_api.requests == [], "no other engine, and not this one, was asked"


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_upload_analysed_by_a_worker_without_its_segmenter_fails_with_engine_unavailable(
    start_api: StartApi, start_process: StartProcess, make_account: Any, tmp_path: Any
) -> None:
    model = write_model(tmp_path / "tiny-u2net.onnx", chroma_saliency_model(64))
    api = start_api(
        embedded_workers=0,
        segment_engine="onnx",
        segmenter_model_path=model,
        segmenter_input_size=64,
    )
    account = make_account()
    response = api.client.post(
        "/api/v1/products",
        json={"image_url": data_url(photo_bytes(4, size=256))},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert response.status_code in (200, 202), response.text
    product = response.json()["data"]

    worker = {"segment_engine": "classical", "segmenter_model_path": None}
    start_process(api.settings.model_copy(update=worker), "worker")
    final = api.wait_until_finished(account, product["generation_id"])

    assert final["status"] == "failed", final
    assert final["error_code"] == "engine_unavailable"
    view = api.client.get(
        "/api/v1/products", params={"id": product["id"]}, headers=account.headers
    ).json()["data"]
    assert view["status"] == "failed"
    assert "'onnx'" in view["error"]


def test_a_job_stored_before_engines_were_recorded_still_renders(
    start_api: StartApi, start_workers: StartWorkers, make_account: Any
) -> None:
    api = start_api(embedded_workers=0)
    account = make_account()
    response = api.client.post(
        "/api/v1/images",
        json={"prompt": "Dark marble surface, studio lighting", "aspect_ratio": "16:9"},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    with api.runtime.db.transaction() as session:
        stored = session.get(Generation, uuid.UUID(generation_id))
        assert stored is not None
        assert stored.params["version"] == 2 and stored.params["engine"] == "studio"
        # The parameters as version 1 wrote them: no version, no engine, no subject.
        old = {k: v for k, v in stored.params.items() if k not in ("version", "engine", "subject")}
        session.execute(update(Generation).where(Generation.id == stored.id).values(params=old))

    start_workers(api)
    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert final["output"]["engine"] == "studio"
    assert (final["output"]["width"], final["output"]["height"]) == (1344, 768)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"KREV_IMAGE_ENGINE": "dalle"}, "KREV_IMAGE_ENGINE='dalle' is not one of the image"),
        ({"KREV_IMAGE_ENGINE": "openai"}, "KREV_OPENAI_IMAGES_BASE_URL is required"),
        ({"KREV_IMAGE_FALLBACK": "openai"}, "KREV_IMAGE_FALLBACK=openai: KREV_OPENAI_IMAGES"),
        ({"KREV_SEGMENT_ENGINE": "onnx"}, "KREV_SEGMENTER_MODEL_PATH is required"),
        ({"KREV_ANALYZE_ENGINE": "openai"}, "KREV_LLM_BASE_URL is required"),
        ({"KREV_COPY_ENGINE": "gpt"}, "KREV_COPY_ENGINE='gpt' is not one of the copy engines"),
        ({"KREV_COPY_ENGINE": "openai"}, "KREV_COPY_ENGINE=openai: KREV_LLM_BASE_URL is required"),
        (
            {"KREV_COPY_ENGINE": "openai", "KREV_LLM_BASE_URL": "http://127.0.0.1:9/v1"},
            "KREV_COPY_ENGINE=openai: KREV_LLM_COPY_MODEL is required",
        ),
    ],
)
def test_the_server_refuses_to_start_naming_the_setting(
    tmp_path: Any, environment: dict[str, str], named: str
) -> None:
    env = {"KREV_ENV": "test", "KREV_SECRET_KEY": TEST_SECRET, "KREV_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["migrate"], env={**env, **environment})

    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split())
    assert not (tmp_path / "krev.db").exists(), "refused before touching anything"
