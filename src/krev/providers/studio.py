"""The embedded providers: the studio engine (images, upscaling, analysis, ad copy, videos),
the classical and ONNX segmenters, and the OpenAI-compatible vision analyzer. None downloads
anything."""

from __future__ import annotations

from typing import Any

from krev.engines.providers import ImageCapabilities
from krev.platform.config import Settings
from krev.providers.llm import llm_base_url_missing
from krev.providers.registry import ProviderSpec, register

STUDIO_IMAGE = ImageCapabilities(
    text_only=False,  # it renders sets; a subject must be a catalog product
    product_scenes=True,
    max_count=1,  # one variant per call: the pipeline renders variants side by side
    reference_images=True,
)


def _studio_image(_settings: Settings) -> Any:
    from krev.engines.studio.scene.generator import StudioImageGenerator

    return StudioImageGenerator()


def _studio_upscaler(_settings: Settings) -> Any:
    from krev.engines.studio.scene import StudioUpscaler

    return StudioUpscaler()


def _studio_video(_settings: Settings) -> Any:
    from krev.engines.studio.video import StudioVideoEngine

    return StudioVideoEngine()


def _classical_segmenter(_settings: Settings) -> Any:
    from krev.engines.studio.segment import ClassicalSegmenter

    return ClassicalSegmenter()


def _onnx_missing(settings: Settings) -> list[str]:
    path = settings.segmenter_model_path
    if path is None:
        return ["KREV_SEGMENTER_MODEL_PATH is required (a local .onnx model file)."]
    if not path.is_file():
        return [f"KREV_SEGMENTER_MODEL_PATH {str(path)!r} is not a file."]
    return []


def _onnx_segmenter(settings: Settings) -> Any:
    from krev.engines.onnx_segment import OnnxSegmenter

    assert settings.segmenter_model_path is not None  # _onnx_missing refused the start
    return OnnxSegmenter(
        str(settings.segmenter_model_path), input_size=settings.segmenter_input_size
    )


def _studio_analyzer(_settings: Settings) -> Any:
    from krev.engines.studio.analyze import StudioProductAnalyzer

    return StudioProductAnalyzer()


def _studio_copywriter(_settings: Settings) -> Any:
    from krev.engines.studio.ads.copywriter import StudioCopywriter

    return StudioCopywriter()


def _openai_analyzer(settings: Settings) -> Any:
    from krev.engines.openai_vision import OpenAIVisionAnalyzer

    assert settings.llm_base_url is not None  # llm_base_url_missing refused the start
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAIVisionAnalyzer(
        settings.llm_base_url,
        settings.llm_vision_model,
        api_key=key,
        timeout=settings.llm_timeout_seconds,
    )


register(
    ProviderSpec(
        "image",
        "studio",
        _studio_image,
        image=STUDIO_IMAGE,
        description="Procedural studio sets on the CPU with the product's own cutout "
        "composited in; no model weights.",
    )
)
register(
    ProviderSpec(
        "upscale", "studio", _studio_upscaler, description="Resampling and an unsharp mask."
    )
)
register(
    ProviderSpec("segment", "classical", _classical_segmenter, description="OpenCV, no model.")
)
register(
    ProviderSpec(
        "segment",
        "onnx",
        _onnx_segmenter,
        missing=_onnx_missing,
        description="A U2-Net-style saliency model from KREV_SEGMENTER_MODEL_PATH.",
    )
)
register(
    ProviderSpec(
        "analyze",
        "studio",
        _studio_analyzer,
        description="Embedded OCR (rapidocr) and a product taxonomy.",
    )
)
register(
    ProviderSpec(
        "analyze",
        "openai",
        _openai_analyzer,
        missing=llm_base_url_missing,
        description="A vision LLM behind an OpenAI-compatible API (KREV_LLM_BASE_URL).",
    )
)
register(
    ProviderSpec(
        "copy",
        "studio",
        _studio_copywriter,
        description="Each ad style's templates filled from the brief, the brand notes and the "
        "products' metadata; no model, and never a claim it was not given.",
    )
)
register(
    ProviderSpec(
        "video",
        "studio",
        _studio_video,
        description="The studio scene as layers with camera moves, copy and a music bed, "
        "encoded with PyAV on the CPU; no model weights.",
    )
)
