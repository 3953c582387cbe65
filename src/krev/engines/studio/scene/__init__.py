"""Product scenes rendered on the CPU: prompt understanding, procedural sets, faithful product
compositing, a fidelity check and an HD upscaler. See ``composer.StudioSceneComposer``."""

from krev.engines.studio.scene.composer import StudioSceneComposer
from krev.engines.studio.scene.fidelity import FIDELITY_THRESHOLD, product_fidelity
from krev.engines.studio.scene.upscale import StudioUpscaler

__all__ = ["FIDELITY_THRESHOLD", "StudioSceneComposer", "StudioUpscaler", "product_fidelity"]
