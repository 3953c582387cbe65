"""The studio engine as an image provider: each image is one variant of the composer's set,
with the products laid out, lit and composited by the composer itself (it reports where)."""

from __future__ import annotations

from krev.engines.base import SceneRequest
from krev.engines.providers import GeneratedImage, ImageCapabilities, ImageGenerationRequest
from krev.engines.studio.scene.composer import StudioSceneComposer

__all__ = ["StudioImageGenerator"]


class StudioImageGenerator:
    id = "studio"
    capabilities = ImageCapabilities(
        text_only=False, product_scenes=True, max_count=1, reference_images=True
    )

    def __init__(self, composer: StudioSceneComposer | None = None) -> None:
        self.composer = composer or StudioSceneComposer()

    def generate(self, request: ImageGenerationRequest) -> list[GeneratedImage]:
        images = []
        for offset in range(request.count):
            rendered = self.composer.render(
                SceneRequest(
                    prompt=request.prompt,
                    width=request.width,
                    height=request.height,
                    preset=request.preset,
                    products=list(request.products),
                    style_references=list(request.style_references),
                    seed=request.seed,
                    variant=request.first_variant + offset,
                )
            )
            boxes = [p.box for p in sorted(rendered.placements, key=lambda p: p.index)]
            images.append(GeneratedImage(rgb=rendered.rgb, boxes=boxes, scene=rendered.scene))
        return images
