"""The hosted video adapters (Seedance on fal's queue and on Replicate's predictions) against
local fakes of both APIs: what they submit, how they follow a job to the clip's URL, the typed
error each failure becomes, and the clip itself, fetched and normalised to Krev's MP4."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeAlias

import httpx
import numpy as np
import pytest

from krev.engines.fal_video import FalVideoGenerator
from krev.engines.hosted_video import (
    first_frame_data_uri,
    nearest_aspect_ratio,
    rendered_duration,
    resolution_for,
)
from krev.engines.providers import (
    ContentRefused,
    InvalidRequest,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)
from krev.engines.replicate_video import ReplicateVideoGenerator
from krev.engines.studio.video.normalize import normalize_video
from krev.engines.video import RemoteVideoStatus, VideoGenerationRequest
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.support.clips import cover
from tests.support.fake_fal import I2V_MODEL, T2V_MODEL, FakeFal
from tests.support.fake_flux import FakeJob, FluxFake, decode_image_data_uri
from tests.support.fake_replicate import VIDEO_MODEL, FakeReplicate
from tests.support.videos import probe

FAL_KEY = "fal-video-key-0123456789"
REPLICATE_TOKEN = "r8_video_0123456789abcdef"

Generator: TypeAlias = FalVideoGenerator | ReplicateVideoGenerator


@dataclass
class Hosted:
    """One provider's fake and a way to build its adapter against it."""

    name: str
    fake: FluxFake
    build: Callable[..., Generator]
    key: str

    def job_id_of(self, job_id: str) -> str:
        fields = json.loads(job_id)
        return str(fields.get("request_id") or fields.get("id"))


@pytest.fixture(params=["fal", "replicate"])
def hosted(request: pytest.FixtureRequest) -> Iterator[Hosted]:
    if request.param == "fal":
        with FakeFal(api_key=FAL_KEY) as fal:

            def build_fal(**options: Any) -> Generator:
                key = options.pop("key", FAL_KEY)
                return FalVideoGenerator(key, base_url=fal.base_url, **options)

            yield Hosted("fal", fal, build_fal, FAL_KEY)
    else:
        with FakeReplicate(
            api_token=REPLICATE_TOKEN, versions={"9f1e2d3c4b5a": VIDEO_MODEL}
        ) as replicate:

            def build_replicate(**options: Any) -> Generator:
                token = options.pop("key", REPLICATE_TOKEN)
                return ReplicateVideoGenerator(token, base_url=replicate.base_url, **options)

            yield Hosted("replicate", replicate, build_replicate, REPLICATE_TOKEN)


def product_still(width: int = 360, height: int = 640) -> np.ndarray:
    """A first frame with something to recognise: a red bottle on a blue-grey floor."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = np.linspace(200, 120, height, dtype=np.uint8)[:, None, None]
    image[height * 2 // 3 :] = (70, 80, 110)
    x0, x1 = width * 3 // 8, width * 5 // 8
    image[height // 3 : height * 3 // 4, x0:x1] = (190, 30, 40)
    image[height // 4 : height // 3, width * 15 // 32 : width * 17 // 32] = (240, 240, 235)
    return image


def request(**changes: Any) -> VideoGenerationRequest:
    fields: dict[str, Any] = {
        "prompt": "A red bottle on a stone floor, slow push in, soft morning light",
        "width": 720,
        "height": 1280,
        "duration": 5,
        "seed": 42,
    }
    fields.update(changes)
    return VideoGenerationRequest(**fields)


def until_done(generator: Generator, job_id: str, limit: int = 10) -> list[RemoteVideoStatus]:
    seen = [generator.poll(job_id)]
    while seen[-1].state == "pending" and len(seen) < limit:
        seen.append(generator.poll(job_id))
    return seen


def fetch(url: str) -> bytes:
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    return response.content


def only_job(fake: FluxFake) -> FakeJob:
    [job] = fake.submissions
    return job


# --- what is submitted and what comes back ---------------------------------------------------


def test_a_prompt_alone_becomes_a_seedance_text_to_video_job_and_polls_to_its_clip(
    hosted: Hosted, tmp_path: Path
) -> None:
    generator = hosted.build()
    job_id = generator.submit(request())

    job = only_job(hosted.fake)
    inputs = job.inputs
    assert job.model == (T2V_MODEL if hosted.name == "fal" else VIDEO_MODEL)
    assert inputs["prompt"] == request().prompt
    assert inputs["aspect_ratio"] == "9:16"
    assert inputs["resolution"] == "720p", "the lowest that covers the output's 720 pixels"
    assert inputs["duration"] == ("5" if hosted.name == "fal" else 5)
    assert inputs["seed"] == 42
    assert "image_url" not in inputs and "image" not in inputs
    if hosted.name == "replicate":
        assert inputs["fps"] == 24

    states = until_done(generator, job_id)
    assert [status.state for status in states] == ["pending", "pending", "succeeded"]
    video = states[-1].video
    assert video is not None and video.url is not None
    assert video.url.startswith(hosted.fake.address)
    assert video.has_audio is False
    path = tmp_path / "clip.mp4"
    path.write_bytes(fetch(video.url))
    clip = probe(path, keep_frames=False)
    assert (clip.codec, clip.fps, len(clip.frames)) == ("h264", Fraction(24), 120)
    assert (clip.width, clip.height) == (360, 640)
    assert hosted.fake.rejected == []


def test_a_first_frame_goes_as_an_image_the_model_decodes_and_the_clip_starts_on_it(
    hosted: Hosted, tmp_path: Path
) -> None:
    still = product_still()
    generator = hosted.build()
    job_id = generator.submit(request(first_frame=still, duration=4))

    job = only_job(hosted.fake)
    field = "image_url" if hosted.name == "fal" else "image"
    assert job.model == (I2V_MODEL if hosted.name == "fal" else VIDEO_MODEL)
    assert str(job.inputs[field]).startswith("data:image/jpeg;base64,")
    assert job.inputs["duration"] == ("4" if hosted.name == "fal" else 4)
    # What the model decodes is the frame that was sent.
    assert job.first_frame is not None and job.first_frame.shape == still.shape
    assert np.abs(job.first_frame.astype(int) - still).mean() < 1.5

    video = until_done(generator, job_id)[-1].video
    assert video is not None and video.url is not None
    # The pipeline's next step: the clip normalised to the output, its first frame compared.
    normalized = normalize_video(
        fetch(video.url), tmp_path / "out.mp4", width=360, height=640, frame_count=96
    )
    assert np.abs(normalized.first_frame.astype(int) - still).mean() < 4
    bottle = normalized.first_frame[300:450, 150:210].reshape(-1, 3).mean(axis=0)
    assert np.abs(bottle - (190, 30, 40)).max() < 12
    assert probe(tmp_path / "out.mp4", keep_frames=False).fps == 24


def test_a_restarted_worker_polls_the_same_job_without_submitting_again(hosted: Hosted) -> None:
    job_id = hosted.build().submit(request())
    assert hosted.build().poll(job_id).state == "pending"
    assert until_done(hosted.build(), job_id)[-1].state == "succeeded"
    assert len(hosted.fake.submissions) == 1


@pytest.mark.parametrize(
    ("width", "height", "fal_ratio", "replicate_ratio"),
    [
        (1080, 1920, "9:16", "9:16"),
        (1920, 1080, "16:9", "16:9"),
        (1080, 1080, "1:1", "1:1"),
        (1080, 1350, "3:4", "3:4"),  # 4:5 has no Seedance ratio; 3:4 is nearest
        (600, 1400, "9:16", "9:21"),  # fal has no 9:21
    ],
)
def test_the_aspect_ratio_is_the_models_nearest(
    hosted: Hosted, width: int, height: int, fal_ratio: str, replicate_ratio: str
) -> None:
    hosted.build().submit(request(width=width, height=height))
    wanted = fal_ratio if hosted.name == "fal" else replicate_ratio
    assert only_job(hosted.fake).inputs["aspect_ratio"] == wanted


def test_a_duration_the_model_does_not_render_asks_for_the_nearest_longer(
    hosted: Hosted,
) -> None:
    generator = hosted.build(durations=(5, 10))
    assert generator.capabilities.durations == (5, 10)
    for asked in (4, 7, 12):
        generator.submit(request(duration=asked))
    rendered = [job.inputs["duration"] for job in hosted.fake.submissions]
    assert [int(seconds) for seconds in rendered] == [5, 10, 10]


def test_a_32_bit_seed_is_sent_within_the_models_range(hosted: Hosted) -> None:
    hosted.build().submit(request(seed=2**32 - 5))
    seed = only_job(hosted.fake).inputs["seed"]
    assert 0 <= seed < 2**31 and seed == (2**32 - 5) % 2**31


def test_the_resolution_is_the_lowest_covering_the_output_up_to_the_cap(hosted: Hosted) -> None:
    hosted.build().submit(request(width=1080, height=1920))
    hosted.build().submit(request(width=480, height=854))
    hosted.build(max_resolution="720p").submit(request(width=1080, height=1920))
    resolutions = [job.inputs["resolution"] for job in hosted.fake.submissions]
    assert resolutions == ["1080p", "480p", "720p"]


def test_the_model_id_with_a_version_is_created_through_predictions() -> None:
    with FakeReplicate(api_token=REPLICATE_TOKEN, versions={"9f1e2d3c4b5a": VIDEO_MODEL}) as fake:
        generator = ReplicateVideoGenerator(
            REPLICATE_TOKEN, base_url=fake.base_url, model=f"{VIDEO_MODEL}:9f1e2d3c4b5a"
        )
        assert until_done(generator, generator.submit(request()))[-1].state == "succeeded"
        assert only_job(fake).model == VIDEO_MODEL


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_429_is_rate_limited_with_the_providers_retry_after(hosted: Hosted, operation: str) -> None:
    generator = hosted.build()
    job_id = generator.submit(request()) if operation == "status" else None
    hosted.fake.fail_next(operation, 429, retry_after=9)
    with pytest.raises(RateLimited) as raised:
        generator.poll(job_id) if job_id else generator.submit(request())
    assert raised.value.retry_after == 9
    assert raised.value.transient


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_5xx_is_temporarily_unavailable(hosted: Hosted, operation: str) -> None:
    generator = hosted.build()
    job_id = generator.submit(request()) if operation == "status" else None
    hosted.fake.fail_next(operation, 500)
    with pytest.raises(TemporarilyUnavailable, match="HTTP 500") as raised:
        generator.poll(job_id) if job_id else generator.submit(request())
    assert raised.value.transient


def test_a_refused_key_is_a_configuration_error_that_never_repeats_it(hosted: Hosted) -> None:
    wrong = "wrong-key-for-video-777"
    generator = hosted.build(key=wrong)
    with pytest.raises(InvalidRequest) as raised:
        generator.submit(request(first_frame=product_still()))
    assert "refused this server's API key (HTTP 401)" in raised.value.message
    assert not raised.value.transient
    assert wrong not in raised.value.message
    assert wrong not in repr(generator)
    assert hosted.fake.submissions == []


def test_a_prompt_the_safety_system_flags_fails_the_job_as_content_refused(
    hosted: Hosted,
) -> None:
    generator = hosted.build()
    done = until_done(generator, generator.submit(request(prompt="something forbidden")))[-1]
    assert done.state == "failed"
    assert isinstance(done.error, ContentRefused)
    assert not done.error.transient
    assert done.video is None


def test_a_content_policy_violation_at_submit_is_content_refused() -> None:
    with FakeFal(api_key=FAL_KEY) as fal:
        fal.fail_next("submit", 422, kind="content_policy_violation")
        generator = FalVideoGenerator(FAL_KEY, base_url=fal.base_url)
        with pytest.raises(ContentRefused, match="flagged"):
            generator.submit(request(first_frame=product_still()))


def test_an_input_the_model_refuses_is_an_invalid_request_naming_it(hosted: Hosted) -> None:
    # A model that renders no 1-second clip, told it does.
    generator = hosted.build(durations=(1,))
    with pytest.raises(InvalidRequest, match=r"HTTP 422.*2.*12"):
        generator.submit(request(duration=1))


def test_no_answer_in_time_is_a_provider_timeout(hosted: Hosted) -> None:
    generator = hosted.build(timeout=0.3)
    hosted.fake.slow_down("submit", 3.0)
    with pytest.raises(ProviderTimeout, match=r"within 0.3 s"):
        generator.submit(request())


def test_a_job_the_provider_no_longer_knows_is_failed(hosted: Hosted) -> None:
    generator = hosted.build()
    job_id = generator.submit(request())
    fields = json.loads(job_id)
    fields["request_id" if hosted.name == "fal" else "id"] = "no-such-job"
    gone = generator.poll(json.dumps(fields))
    assert gone.state == "failed" and isinstance(gone.error, InvalidRequest)
    with pytest.raises(InvalidRequest, match="not one this provider issued"):
        generator.poll("not json")


def test_cancel_reaches_the_provider_midway_and_is_quiet_once_the_job_ended(
    hosted: Hosted,
) -> None:
    generator = hosted.build()
    hosted.fake.hold()
    running = generator.submit(request())
    assert [generator.poll(running).state for _ in range(3)] == ["pending"] * 3

    generator.cancel(running)

    assert hosted.fake.cancelled == [hosted.job_id_of(running)]
    assert hosted.fake.jobs[hosted.fake.cancelled[0]].state == "cancelled"
    # Replicate says canceled; fal reports the request completed, its result an error.
    assert generator.poll(running).state in ("cancelled", "failed")
    hosted.fake.release()
    finished = generator.submit(request())
    assert until_done(generator, finished)[-1].state == "succeeded"
    generator.cancel(finished)  # ended already: nothing to stop, no error
    assert len(hosted.fake.cancelled) == 2


# --- capabilities and settings ---------------------------------------------------------------


def test_capabilities_say_which_modes_the_configured_models_serve() -> None:
    both = FalVideoGenerator(FAL_KEY).capabilities
    assert (both.text_to_video, both.image_to_video, both.native_audio) == (True, True, False)
    assert both.durations == tuple(range(2, 13))
    animate_only = FalVideoGenerator(FAL_KEY, t2v_model="", durations=(10, 5))
    assert animate_only.capabilities.text_to_video is False
    assert animate_only.capabilities.durations == (5, 10)
    with pytest.raises(InvalidRequest, match="no text-to-video model"):
        animate_only.submit(request())
    replicate = ReplicateVideoGenerator(REPLICATE_TOKEN).capabilities
    assert (replicate.text_to_video, replicate.image_to_video) == (True, True)


def test_the_server_refuses_a_video_provider_without_its_key_and_says_so(
    hosted: Hosted,
) -> None:
    setting = "KREV_FAL_API_KEY" if hosted.name == "fal" else "KREV_REPLICATE_API_TOKEN"
    with pytest.raises(ConfigurationError, match=f"KREV_VIDEO_ENGINE={hosted.name}: {setting}"):
        registry.check(Settings(video_engine=hosted.name))
    assert not registry.is_configured(Settings(), "video", hosted.name)


def test_fal_with_neither_video_model_is_refused() -> None:
    settings = Settings(video_engine="fal", fal_api_key=FAL_KEY, fal_t2v_model="", fal_i2v_model="")
    with pytest.raises(ConfigurationError, match="KREV_FAL_T2V_MODEL or KREV_FAL_I2V_MODEL"):
        registry.check(settings)


def test_the_registry_says_a_video_providers_capabilities_without_building_it() -> None:
    fal = registry.video_capabilities("fal")
    assert fal is not None and fal.text_to_video and fal.image_to_video
    configured = Settings(fal_api_key=FAL_KEY, fal_t2v_model="", fal_video_durations=[5, 10])
    as_set = registry.video_capabilities("fal", configured)
    assert as_set is not None
    assert (as_set.text_to_video, as_set.image_to_video, as_set.durations) == (False, True, (5, 10))
    assert configured.built_providers == {}, "nothing was built"
    replicate = registry.video_capabilities(
        "replicate", Settings(replicate_api_token=REPLICATE_TOKEN, replicate_video_durations=[6])
    )
    assert replicate is not None and replicate.durations == (6,)
    assert registry.video_capabilities("studio") is None, "the studio engine is not a model"
    with pytest.raises(LookupError):
        registry.video_capabilities("nobody")


def test_the_registry_builds_each_video_provider_from_the_settings(hosted: Hosted) -> None:
    if hosted.name == "fal":
        settings = Settings(
            video_engine="fal",
            fal_api_key=FAL_KEY,
            fal_base_url=hosted.fake.base_url,  # type: ignore[attr-defined]
            fal_video_resolution="480p",
        )
    else:
        settings = Settings(
            video_engine="replicate",
            replicate_api_token=REPLICATE_TOKEN,
            replicate_base_url=hosted.fake.base_url,  # type: ignore[attr-defined]
            replicate_video_resolution="480p",
        )
    registry.check(settings)
    built = registry.provider(settings, "video", hosted.name)
    assert isinstance(built, FalVideoGenerator if hosted.name == "fal" else ReplicateVideoGenerator)
    assert hosted.key not in repr(built) and hosted.key not in repr(settings)
    assert until_done(built, built.submit(request()))[-1].state == "succeeded"
    assert only_job(hosted.fake).inputs["resolution"] == "480p"
    assert hosted.fake.rejected == [], "the key from the settings is the one sent"


# --- the shared pieces -----------------------------------------------------------------------


def test_nearest_ratio_duration_and_resolution() -> None:
    ratios = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
    assert nearest_aspect_ratio(1080, 1920, ratios) == "9:16"
    assert nearest_aspect_ratio(2000, 1000, ratios) == "16:9"  # 2.0: nearer 16:9 than 21:9
    assert nearest_aspect_ratio(2400, 1000, ratios) == "21:9"
    assert rendered_duration(5, range(2, 13)) == 5
    assert rendered_duration(15, range(2, 13)) == 12
    assert rendered_duration(3, (5, 10)) == 5
    assert resolution_for(1080, 1920) == "1080p"
    assert resolution_for(2160, 3840) == "1080p"
    assert resolution_for(360, 640) == "480p"
    assert resolution_for(1080, 1080, "480p") == "480p"


def test_a_large_first_frame_still_fits_a_data_uri_and_a_small_one_is_enlarged() -> None:
    noise = np.random.default_rng(3).integers(0, 256, (1920, 1080, 3), dtype=np.uint8)
    uri = first_frame_data_uri(noise)
    assert len(uri) <= 1_000_000
    assert min(decode_image_data_uri(uri).size) >= 300
    small = cover(product_still(), 180, 320)
    enlarged = decode_image_data_uri(first_frame_data_uri(small)).size
    assert enlarged[0] == 300 and abs(enlarged[1] - 300 * 320 / 180) <= 1
