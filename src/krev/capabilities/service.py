"""What this server's engines can do, from the provider registry (nothing is loaded)."""

from __future__ import annotations

from typing import Any, get_args

from krev.engines.chat import AGENTS, TOOLS
from krev.engines.studio.ads.styles import STYLES
from krev.engines.video import WORKFLOWS
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.copywriting import copy_chain
from krev.videos.schemas import MAX_DURATION, MIN_DURATION, AudioMode, VideoAspectRatio

STUDIO_NOTE = (
    "The studio engine composites your catalog products into rendered studio sets. A prompt "
    "without product_id must either name a product in your catalog (it is used) or describe "
    "only the set; a prompt asking for anything else (the reference's text-only examples, such "
    "as a wallet on marble) needs a generative engine: KREV_IMAGE_ENGINE=diffusers, openai, fal "
    "or replicate."
)
GENERATIVE_NOTE = (
    "A prompt without product_id is generated from its text alone; with product_id the "
    "products' own cutouts are kept in the generated scene and checked for fidelity."
)


def capabilities(settings: Settings) -> dict[str, Any]:
    engine = registry.engine_of(settings, "image")
    image = registry.image_capabilities(engine, settings)
    return {
        "image": {
            "engine": engine,
            "fallback": registry.fallback_of(settings, "image"),
            "text_only_subjects": image.text_only,
            "product_scenes": image.product_scenes,
            "reference_images": image.reference_images,
            "upscale_engine": registry.engine_of(settings, "upscale"),
            "engines": [
                {
                    "id": spec.id,
                    "configured": not spec.missing(settings),
                    "description": spec.description,
                }
                for spec in registry.specs("image")
            ],
            "note": GENERATIVE_NOTE if image.text_only else STUDIO_NOTE,
        },
        "product_analysis": {
            "engine": registry.engine_of(settings, "analyze"),
            "fallback": registry.fallback_of(settings, "analyze"),
            "segment_engine": registry.engine_of(settings, "segment"),
        },
        "ad": {
            "image_engine": engine,
            "copy_engine": registry.engine_of(settings, "copy"),
            "copy_fallback": copy_chain(settings)[-1],
            "copy_engines": [
                {
                    "id": spec.id,
                    "configured": not spec.missing(settings),
                    "description": spec.description,
                }
                for spec in registry.specs("copy")
            ],
            "styles": [style.id for style in STYLES],
            "aspect_ratios": ["1:1", "4:5", "9:16"],
        },
        "video": video_capabilities(settings),
        "chat": {
            "engine": registry.engine_of(settings, "chat"),
            "fallback": registry.fallback_of(settings, "chat"),
            "agents": list(AGENTS),
            "tools": [tool.name for tool in TOOLS],
            "run_credit_budget": settings.chat_run_credit_budget,
            "ad_library": settings.meta_ad_library_token is not None,
            "engines": _engines(settings, "chat"),
        },
        "prices": settings.prices.model_dump(),
    }


def _engines(settings: Settings, capability: str) -> list[dict[str, Any]]:
    return [
        {"id": spec.id, "configured": not spec.missing(settings), "description": spec.description}
        for spec in registry.specs(capability)
    ]


def video_capabilities(settings: Settings) -> dict[str, Any]:
    engine = registry.engine_of(settings, "video")
    speech = registry.engine_of(settings, "speech")
    model = registry.video_capabilities(engine, settings)
    return {
        "engine": engine,
        "fallback": registry.fallback_of(settings, "video"),
        "text_only_subjects": model is not None and model.text_to_video,
        "workflows": list(WORKFLOWS),
        "durations": [MIN_DURATION, MAX_DURATION],
        "aspect_ratios": list(get_args(VideoAspectRatio)),
        "audio_modes": list(get_args(AudioMode)),
        "native_audio": model is not None and model.native_audio,
        "speech_engine": speech,
        # A configured engine with nothing to say at start-up can speak (a system engine
        # without flite or espeak-ng says so, and videos then carry captions only).
        "speech_available": registry.is_configured(settings, "speech", speech)
        and not registry.spec("speech", speech).notices(settings),
        "engines": _engines(settings, "video"),
    }
