"""The local video provider's settings and what a Wan model directory can do, checked in the main
environment (no torch): the server refuses to start naming what is missing, and capabilities,
sizes and frame counts come from the directory's JSON files alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from krev.engines.diffusers_models import installed
from krev.engines.video import VideoModelCapabilities
from krev.engines.wan_models import (
    capabilities_of,
    frame_count,
    frame_limit,
    model_size,
    read_video_model_directory,
    same_files,
)
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError


def wan_directory(
    path: Path,
    pipeline: str = "WanPipeline",
    *,
    expand_timesteps: bool = False,
    vae: dict[str, Any] | None = None,
) -> Path:
    """A directory that looks like a saved Wan pipeline (its JSON files only: nothing loads
    it). ``vae`` is its VAE's config; None writes none (as Wan 2.1's older saves lack the
    factors)."""
    path.mkdir(parents=True)
    index = {"_class_name": pipeline, "expand_timesteps": expand_timesteps}
    (path / "model_index.json").write_text(json.dumps(index))
    if vae is not None:
        (path / "vae").mkdir()
        (path / "vae" / "config.json").write_text(json.dumps(vae))
    (path / "transformer").mkdir()
    (path / "transformer" / "config.json").write_text(json.dumps({"patch_size": [1, 2, 2]}))
    return path


def test_the_engine_needs_its_model_directory(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigurationError) as refused:
        registry.check(make_settings(video_engine="diffusers"))
    message = str(refused.value)
    assert "KREV_VIDEO_ENGINE=diffusers: KREV_VIDEO_MODEL_DIR is required" in message
    assert "WanPipeline" in message and "t2v/" in message  # what to put there


@pytest.mark.parametrize(
    ("make_path", "sentence"),
    [
        (lambda tmp: tmp / "nowhere", "is not a directory"),
        (lambda tmp: tmp, "has no model_index.json (nor t2v/model_index.json"),
        (lambda tmp: wan_directory(tmp / "sd", "StableDiffusionPipeline"), "is a Stable"),
        (lambda tmp: wan_directory(tmp / "pair" / "t2v", "WanImageToVideoPipeline").parent, "t2v"),
        (lambda tmp: wan_directory(tmp / "vace", "WanVACEPipeline"), "must be WanPipeline or"),
        (lambda tmp: wan_directory(tmp / "odd", vae={"scale_factor_spatial": "x"}), "not a Wan"),
    ],
)
def test_a_path_that_is_not_a_wan_model_is_named(
    make_settings: Callable[..., Settings], tmp_path: Path, make_path, sentence: str
) -> None:
    path = make_path(tmp_path)
    with pytest.raises(ConfigurationError) as refused:
        registry.check(make_settings(video_engine="diffusers", video_model_dir=path))
    assert "KREV_VIDEO_ENGINE=diffusers: KREV_VIDEO_MODEL_DIR" in str(refused.value)
    assert sentence in str(refused.value)


@pytest.mark.skipif(installed(), reason="torch is installed: the sentence is for installs without")
def test_without_torch_the_start_is_refused_naming_the_extra(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(
        video_engine="diffusers", video_model_dir=wan_directory(tmp_path / "m")
    )

    with pytest.raises(ConfigurationError, match=r"pip install 'krev\[diffusers\]'"):
        registry.check(settings)
    assert not registry.is_configured(settings, "video", "diffusers")
    assert registry.video_capabilities("diffusers", settings) is None


def test_the_studio_engine_is_no_video_model(make_settings: Callable[..., Settings]) -> None:
    assert registry.video_capabilities("studio", make_settings()) is None


def test_what_a_directory_can_do_follows_its_layout(tmp_path: Path) -> None:
    t2v = read_video_model_directory(wan_directory(tmp_path / "t2v"))
    i2v = read_video_model_directory(wan_directory(tmp_path / "i2v", "WanImageToVideoPipeline"))
    ti2v = read_video_model_directory(wan_directory(tmp_path / "ti2v", expand_timesteps=True))
    wan_directory(tmp_path / "pair" / "t2v")
    wan_directory(tmp_path / "pair" / "i2v", "WanImageToVideoPipeline")
    pair = read_video_model_directory(tmp_path / "pair")
    wan_directory(tmp_path / "half" / "i2v", "WanImageToVideoPipeline")
    half = read_video_model_directory(tmp_path / "half")

    five = (1, 2, 3, 4, 5)
    assert capabilities_of(t2v) == VideoModelCapabilities(True, False, durations=five)
    assert capabilities_of(i2v) == VideoModelCapabilities(False, True, durations=five)
    assert capabilities_of(ti2v) == VideoModelCapabilities(True, True, durations=five)
    assert capabilities_of(pair) == VideoModelCapabilities(True, True, durations=five)
    assert capabilities_of(half) == VideoModelCapabilities(False, True, durations=five)
    assert not capabilities_of(pair).native_audio
    assert [p.fps for p in (*t2v.pipelines, *ti2v.pipelines)] == [16, 24]


def test_durations_follow_the_frame_limit_and_rate(tmp_path: Path) -> None:
    model = read_video_model_directory(wan_directory(tmp_path / "t2v"))

    assert capabilities_of(model, max_frames=33).durations == (1, 2)
    assert capabilities_of(model, max_frames=36).durations == (1, 2)  # down to 4k+1: 33
    assert capabilities_of(model, fps=24, max_frames=241).durations == tuple(range(1, 11))
    # Never empty (empty would mean any duration): one second at the least.
    assert capabilities_of(model, max_frames=5).durations == (1,)


def test_the_geometry_is_read_from_the_vae_and_transformer_configs(tmp_path: Path) -> None:
    wan21 = read_video_model_directory(wan_directory(tmp_path / "a")).text_to_video
    saved_factors = read_video_model_directory(
        wan_directory(tmp_path / "b", vae={"scale_factor_spatial": 16, "scale_factor_temporal": 4})
    ).text_to_video
    wan22_older_save = read_video_model_directory(
        wan_directory(tmp_path / "c", vae={"patch_size": 2, "z_dim": 48})
    ).text_to_video

    assert wan21 is not None and saved_factors is not None and wan22_older_save is not None
    assert (wan21.spatial_multiple, wan21.temporal_factor) == (16, 4)
    assert saved_factors.spatial_multiple == 32
    assert wan22_older_save.spatial_multiple == 32


def test_frames_cover_the_duration_in_counts_wan_takes() -> None:
    assert frame_count(5, 16, 81, 4) == 81  # Wan 2.1's 5 seconds
    assert frame_count(1, 16, 81, 4) == 17
    assert frame_count(4, 24, 121, 4) == 97
    assert frame_count(10, 16, 81, 4) == 81  # at most the limit
    for duration in range(1, 16):
        frames = frame_count(duration, 16, 1025, 4)
        assert frames % 4 == 1 and frames >= duration * 16


def test_frame_limits_are_counts_wan_takes(tmp_path: Path) -> None:
    model = read_video_model_directory(wan_directory(tmp_path / "t2v")).text_to_video
    assert model is not None

    assert frame_limit(model, 16, None) == 81
    assert frame_limit(model, 24, None) == 121
    assert frame_limit(model, 16, 100) == 97
    assert frame_limit(model, 16, 3) == 5  # the least the VAE takes beyond a still


@pytest.mark.parametrize(
    ("size", "max_side", "multiple", "expected"),
    [
        ((1920, 1080), 832, 16, (832, 464)),
        ((1080, 1920), 832, 16, (464, 832)),
        ((1080, 1080), 832, 16, (832, 832)),
        ((1080, 1350), 832, 16, (672, 832)),
        ((1280, 720), 1280, 32, (1280, 704)),
        ((320, 180), 832, 16, (320, 176)),  # never drawn larger than asked
        ((96, 64), 64, 32, (64, 32)),
    ],
)
def test_model_sizes_keep_the_aspect_ratio_in_multiples_wan_takes(
    size: tuple[int, int], max_side: int, multiple: int, expected: tuple[int, int]
) -> None:
    assert model_size(*size, max_side, multiple) == expected


def test_component_folders_are_the_same_only_when_their_files_are(tmp_path: Path) -> None:
    def component(name: str, weights: bytes) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text('{"z_dim": 16}')
        (folder / "model.safetensors").write_bytes(weights)
        return folder

    big = bytes(range(256)) * 8192  # 2 MiB: compared by samples
    first = component("a", big)
    same = component("b", big)
    retrained = component("c", big[:-1] + b"\x01")
    smaller = component("d", big[:-1])

    assert same_files(first, same)
    assert not same_files(first, retrained)
    assert not same_files(first, smaller)
    assert not same_files(first, tmp_path / "absent")
