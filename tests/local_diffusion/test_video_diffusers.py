"""The local video provider over tiny Wan pipelines loaded from their directories: clips decoded
back from the MP4s it writes (frames, rate, size, content), seeds, image-to-video, the three
layouts of a model directory, and the registry building it from settings."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from krev.engines.diffusers_models import DiffusersModelError
from krev.engines.diffusers_video import DiffusersVideoGenerator
from krev.engines.providers import InvalidRequest
from krev.engines.video import GeneratedVideo, VideoGenerationRequest, VideoModelCapabilities
from krev.platform.config import Settings
from krev.providers import registry
from tests.local_diffusion.conftest import require_torch
from tests.support.videos import Probe, photo, probe

pytestmark = pytest.mark.torch

STEPS = 2
MAX_SIDE = 64  # the tiny models draw 64x48 for a 3:2 video: a clip in about a second
PROMPT = "premium leather wallet turning slowly on dark marble, studio lighting"


@pytest.fixture(scope="module")
def wan_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models, built once per module: Wan 2.1's text-to-video and image-to-video
    alone and as a t2v/ + i2v/ pair, and Wan 2.2's TI2V."""
    require_torch()  # module fixtures run before the autouse check
    from tests.support import tiny_wan

    root = tmp_path_factory.mktemp("wan-models")
    tiny_wan.save_text_to_video_model(root / "t2v")
    tiny_wan.save_image_to_video_model(root / "i2v")
    tiny_wan.save_text_image_to_video_model(root / "ti2v")
    tiny_wan.save_model_pair(root / "pair")
    return root


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def generator(model: Path, clips: Path, **options: object) -> DiffusersVideoGenerator:
    values: dict[str, object] = {"device": "cpu", "steps": STEPS, "max_side": MAX_SIDE}
    values.update(options)
    return DiffusersVideoGenerator(model, output_dir=clips, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def text_to_video(wan_models: Path, clips: Path) -> DiffusersVideoGenerator:
    return generator(wan_models / "t2v", clips)


@pytest.fixture(scope="module")
def image_to_video(wan_models: Path, clips: Path) -> DiffusersVideoGenerator:
    return generator(wan_models / "i2v", clips)


def ask(**values: object) -> VideoGenerationRequest:
    fields: dict[str, object] = {
        "prompt": PROMPT,
        "width": 96,
        "height": 64,
        "duration": 1,
        "seed": 7,
    }
    fields.update(values)
    return VideoGenerationRequest(**fields)  # type: ignore[arg-type]


def decoded(video: GeneratedVideo) -> Probe:
    assert video.path is not None and video.data is None and video.url is None
    assert not video.has_audio
    path = Path(video.path)
    assert path.is_file() and path.suffix == ".mp4"
    return probe(path)


def clip(video: GeneratedVideo) -> np.ndarray:
    return np.stack(decoded(video).frames)


def test_text_to_video_is_an_h264_clip_at_the_models_rate_in_the_requests_shape(
    text_to_video: DiffusersVideoGenerator,
) -> None:
    video = decoded(text_to_video.generate(ask(width=96, height=64, duration=1)))

    assert (video.codec, video.pix_fmt) == ("h264", "yuv420p")
    assert video.fps == 16  # Wan 2.1's own rate: the pipeline converts it to 24
    assert len(video.frames) == 17  # 4k+1 frames covering one second
    # 3:2 with the long side at most 64, in multiples of 16: the pipeline scales it up.
    assert (video.width, video.height) == (64, 48)
    assert video.audio_codec is None
    frames = np.stack(video.frames).astype(np.float32)
    assert frames.std(axis=(1, 2)).min() > 1.0  # every frame has a picture, not a flat fill
    assert np.abs(frames[0] - frames[-1]).mean() > 1.0  # and the clip moves


def test_a_longer_video_has_the_frames_to_cover_it_up_to_the_models_limit(
    wan_models: Path, clips: Path
) -> None:
    limited = generator(wan_models / "t2v", clips, max_frames=36)

    assert limited.capabilities.durations == (1, 2)  # 33 frames: two seconds at 16 fps
    assert len(decoded(limited.generate(ask(duration=2))).frames) == 33
    # Past the limit the clip is the longest one; the pipeline holds its last frame.
    assert len(decoded(limited.generate(ask(duration=6))).frames) == 33


def test_a_seed_gives_the_same_clip_and_another_seed_another(
    text_to_video: DiffusersVideoGenerator,
) -> None:
    first = clip(text_to_video.generate(ask(seed=11)))
    again = clip(text_to_video.generate(ask(seed=11)))
    other = clip(text_to_video.generate(ask(seed=12)))

    assert np.array_equal(first, again)
    assert np.abs(first.astype(np.int16) - other).mean() > 1.0


def test_each_clip_is_a_new_file_the_caller_owns(
    text_to_video: DiffusersVideoGenerator, clips: Path
) -> None:
    one = text_to_video.generate(ask())
    two = text_to_video.generate(ask())

    assert one.path != two.path
    assert one.path is not None and Path(one.path).parent == clips
    Path(one.path).unlink()
    assert two.path is not None and Path(two.path).is_file()


def test_image_to_video_animates_the_first_frame_it_is_given(
    image_to_video: DiffusersVideoGenerator,
) -> None:
    # A 4:3 photo for a square video: cropped about its centre, not stretched.
    product = photo(6, 256)[:, :192]
    other = photo(2, 256)[:, :192]

    video = decoded(image_to_video.generate(ask(width=80, height=80, first_frame=product)))
    same = clip(image_to_video.generate(ask(width=80, height=80, first_frame=product)))
    changed = clip(image_to_video.generate(ask(width=80, height=80, first_frame=other)))

    assert (video.width, video.height, len(video.frames)) == (64, 64, 17)
    assert video.fps == 16
    assert np.array_equal(np.stack(video.frames), same)
    assert np.abs(same.astype(np.int16) - changed).mean() > 0.5  # the image steers the clip


def test_a_model_that_only_animates_says_so_and_refuses_a_prompt_alone(
    image_to_video: DiffusersVideoGenerator,
) -> None:
    assert image_to_video.capabilities == VideoModelCapabilities(
        text_to_video=False, image_to_video=True, durations=(1, 2, 3, 4, 5)
    )
    with pytest.raises(InvalidRequest, match=r"KREV_VIDEO_MODEL_DIR\) has no text-to-video"):
        image_to_video.generate(ask())


def test_a_text_only_model_refuses_a_first_frame(
    text_to_video: DiffusersVideoGenerator,
) -> None:
    assert text_to_video.capabilities.text_to_video
    assert not text_to_video.capabilities.image_to_video
    with pytest.raises(InvalidRequest, match="has no image-to-video"):
        text_to_video.generate(ask(first_frame=photo(6, 64)))


def test_wan_22_ti2v_draws_both_from_one_model_at_24_fps(wan_models: Path, clips: Path) -> None:
    ti2v = generator(wan_models / "ti2v", clips, max_side=96)

    text = decoded(ti2v.generate(ask(width=96, height=64)))
    animated = decoded(ti2v.generate(ask(width=96, height=64, first_frame=photo(6, 96))))

    assert ti2v.capabilities.text_to_video and ti2v.capabilities.image_to_video
    assert ti2v.capabilities.durations == (1, 2, 3, 4, 5)  # 121 frames at 24 fps
    for video in (text, animated):
        assert video.fps == 24
        assert len(video.frames) == 25
        assert (video.width, video.height) == (96, 64)  # multiples of 32 with Wan 2.2's VAE
    assert np.abs(np.stack(text.frames).astype(np.int16) - np.stack(animated.frames)).mean() > 1


def test_a_t2v_and_i2v_pair_loads_their_common_parts_once(wan_models: Path, clips: Path) -> None:
    pair = generator(wan_models / "pair", clips)

    text = decoded(pair.generate(ask()))
    animated = decoded(pair.generate(ask(first_frame=photo(6, 96))))

    assert pair.capabilities.text_to_video and pair.capabilities.image_to_video
    assert len(text.frames) == len(animated.frames) == 17
    t2v, i2v = pair._text_to_video, pair._image_to_video
    for part in ("text_encoder", "tokenizer", "vae"):
        assert getattr(i2v, part) is getattr(t2v, part), part
    assert i2v.transformer is not t2v.transformer


def test_parts_whose_files_differ_are_loaded_apart(wan_models: Path, tmp_path: Path) -> None:
    pair = tmp_path / "pair"
    shutil.copytree(wan_models / "pair", pair)
    weights = pair / "i2v" / "vae" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-8:] = bytes(8)  # another VAE of the same size
    weights.write_bytes(bytes(data))

    loaded = generator(pair, tmp_path)

    assert loaded._image_to_video.vae is not loaded._text_to_video.vae
    assert loaded._image_to_video.text_encoder is loaded._text_to_video.text_encoder


def test_the_registry_reads_capabilities_from_files_and_builds_the_model_once(
    make_settings: Callable[..., Settings], wan_models: Path
) -> None:
    settings = make_settings(
        video_engine="diffusers",
        video_model_dir=wan_models / "pair",
        video_model_steps=STEPS,
        video_model_max_side=MAX_SIDE,
        video_model_max_frames=33,
        diffusers_device="cpu",
    )
    registry.check(settings)

    capabilities = registry.video_capabilities("diffusers", settings)
    assert capabilities == VideoModelCapabilities(
        text_to_video=True, image_to_video=True, durations=(1, 2)
    )
    assert settings.built_providers == {}  # nothing was loaded to answer

    built = registry.provider(settings, "video", "diffusers")
    assert isinstance(built, DiffusersVideoGenerator)
    assert registry.provider(settings, "video", "diffusers") is built
    assert (built.steps, built.max_side, built.device) == (STEPS, MAX_SIDE, "cpu")
    assert built.capabilities == capabilities
    video = decoded(built.generate(ask()))
    assert (video.width, video.height, len(video.frames)) == (64, 48, 17)
    assert video.frames and built.model_seconds > 0


def test_a_damaged_model_is_refused_with_the_directory_named(
    wan_models: Path, tmp_path: Path
) -> None:
    model = tmp_path / "damaged"
    shutil.copytree(wan_models / "t2v", model)
    shutil.rmtree(model / "transformer")

    with pytest.raises(DiffusersModelError, match="could not be loaded"):
        DiffusersVideoGenerator(model, device="cpu")
