"""The studio composer that reads every prompt and owns the presets, whichever engine draws.

The prompt's reading (the scene grammar, the subject) and the presets (``preset_id``, their
thumbnails) are the studio engine's; a generative engine gets the prompt as written. Which
engine draws the images is the provider registry's (``krev.providers``), never chosen here.
One composer per process: it is thread-safe and keeps what it precomputes between jobs.
"""

from __future__ import annotations

import functools

from krev.engines.base import SceneComposer


@functools.cache
def scene_composer() -> SceneComposer:
    # Imported on first use: the API process needs it only for presets and the prompt's reading.
    from krev.engines.studio.scene import StudioSceneComposer

    composer: SceneComposer = StudioSceneComposer()
    return composer
