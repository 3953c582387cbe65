"""Which scene composer and upscaler render images, chosen by ``Settings.image_engine``.

One instance of each per process and engine: the studio composer is thread-safe and keeps
what it precomputes (noise tables, preset thumbnails' inputs) between jobs. A model backend
(a diffusers pipeline from a local model directory) plugs in here as another name.
"""

from __future__ import annotations

import functools

from krev.engines.base import SceneComposer, Upscaler
from krev.platform.config import Settings


@functools.cache
def _composer(engine: str) -> SceneComposer:
    if engine == "studio":
        # Imported on first use: the API process needs it only for presets and the prompt parse.
        from krev.engines.studio.scene import StudioSceneComposer

        composer: SceneComposer = StudioSceneComposer()
        return composer
    raise ValueError(f"unknown image engine {engine!r}")


@functools.cache
def _upscaler(engine: str) -> Upscaler:
    if engine == "studio":
        from krev.engines.studio.scene import StudioUpscaler

        upscaler: Upscaler = StudioUpscaler()
        return upscaler
    raise ValueError(f"unknown image engine {engine!r}")


def scene_composer(settings: Settings) -> SceneComposer:
    # The prompt's reading (scene grammar, subject) and the presets are the studio's, whichever
    # provider renders: a generative engine gets the prompt as written.
    del settings
    return _composer("studio")


def upscaler(settings: Settings) -> Upscaler:
    return _upscaler(settings.upscale_engine)
