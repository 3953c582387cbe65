"""One registry for every capability's providers, built from the settings once per process.

Each capability (``image``, ``upscale``, ``segment``, ``analyze``, ``copy``, ``video``,
``speech``, ``chat``) has one setting pair: ``KREV_<CAP>_ENGINE`` picks the provider and
``KREV_<CAP>_FALLBACK`` optionally names a second. A provider module registers a
``ProviderSpec`` per provider: its id, what it can do, which settings it lacks (a sentence per
missing setting, so the server refuses to start naming it), and how to build it.

API processes never build heavy providers (model weights): they ask ``missing`` and read
``capabilities``. Workers build each provider once, on first use (``provider``).
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from krev.engines.providers import ImageCapabilities
from krev.engines.video import VideoModelCapabilities
from krev.platform.config import Settings

CAPABILITIES = ("image", "upscale", "segment", "analyze", "copy", "video", "speech", "chat")

# The modules that register providers; importing one registers its specs.
PROVIDER_MODULES: tuple[str, ...] = (
    "krev.providers.studio",
    "krev.providers.openai_images",
    "krev.providers.openai_copy",
    "krev.providers.fal",
    "krev.providers.replicate",
    "krev.providers.diffusers",
    "krev.providers.speech_engines",
    "krev.providers.chat",
)


class ConfigurationError(ValueError):
    """The settings name a provider that does not exist or lacks a setting; the sentence says
    which. Raised when a process starts, never while serving."""


@dataclass(frozen=True)
class ProviderSpec:
    capability: str
    id: str
    build: Callable[[Settings], Any]
    """The provider itself; may load model weights (called in workers, once per process)."""
    missing: Callable[[Settings], list[str]] = lambda _settings: []
    """A sentence for each setting this provider needs and lacks."""
    image: ImageCapabilities | None = None
    """What an image provider can do (image capability only)."""
    image_for: Callable[[Settings], ImageCapabilities] | None = None
    """What it can do under given settings, where that depends on them (the local diffusion
    model a directory holds); read from files, never by building the provider."""
    video: VideoModelCapabilities | None = None
    """What a video model can do (video capability only); None for an engine that renders its
    own videos rather than a model's (the studio engine)."""
    video_for: Callable[[Settings], VideoModelCapabilities] | None = None
    """What the video model can do under given settings (which models are configured, the
    durations they render); read from the settings, never by building the provider."""
    notices: Callable[[Settings], list[str]] = lambda _settings: []
    """Sentences for the log when a process starts with this provider chosen (what it will
    refuse, and why)."""
    description: str = ""


_SPECS: dict[tuple[str, str], ProviderSpec] = {}


def register(spec: ProviderSpec) -> ProviderSpec:
    if spec.capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {spec.capability!r}")
    _SPECS[(spec.capability, spec.id)] = spec
    return spec


@functools.cache
def _load_modules() -> None:
    for module in PROVIDER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:  # a module that exists but fails to import is a bug
                raise


def specs(capability: str) -> list[ProviderSpec]:
    _load_modules()
    return [spec for (cap, _), spec in sorted(_SPECS.items()) if cap == capability]


def spec(capability: str, provider_id: str) -> ProviderSpec:
    _load_modules()
    try:
        return _SPECS[(capability, provider_id)]
    except KeyError:
        raise LookupError(f"no {capability} provider {provider_id!r}") from None


def engine_of(settings: Settings, capability: str) -> str:
    """The provider ``KREV_<CAP>_ENGINE`` names."""
    return str(getattr(settings, f"{capability}_engine"))


def fallback_of(settings: Settings, capability: str) -> str | None:
    """The provider ``KREV_<CAP>_FALLBACK`` names, if any."""
    value = getattr(settings, f"{capability}_fallback")
    return str(value) if value else None


def chain(settings: Settings, capability: str) -> list[str]:
    """The engine, then its fallback when one is set (and differs)."""
    engine = engine_of(settings, capability)
    fallback = fallback_of(settings, capability)
    return [engine] if fallback in (None, engine) else [engine, str(fallback)]


def check(settings: Settings) -> None:
    """Refuse settings that name an unknown provider or one without its settings; the error
    names the setting. Called when every process starts."""
    problems: list[str] = []
    for capability in CAPABILITIES:
        for role, provider_id in (
            ("ENGINE", engine_of(settings, capability)),
            ("FALLBACK", fallback_of(settings, capability)),
        ):
            if provider_id is None:
                continue
            setting = f"KREV_{capability.upper()}_{role}"
            known = [s.id for s in specs(capability)]
            if provider_id not in known:
                problems.append(
                    f"{setting}={provider_id!r} is not one of the {capability} engines; "
                    f"choose one of {', '.join(known)}."
                )
                continue
            for sentence in spec(capability, provider_id).missing(settings):
                problems.append(f"{setting}={provider_id}: {sentence}")
    if problems:
        raise ConfigurationError(" ".join(dict.fromkeys(problems)))


def notices(settings: Settings) -> list[str]:
    """What the chosen providers want said when a process starts."""
    said: list[str] = []
    for capability in CAPABILITIES:
        for provider_id in chain(settings, capability):
            try:
                said += spec(capability, provider_id).notices(settings)
            except LookupError:
                continue
    return said


def is_configured(settings: Settings, capability: str, provider_id: str) -> bool:
    try:
        found = spec(capability, provider_id)
    except LookupError:
        return False
    return not found.missing(settings)


_build_lock = threading.Lock()


def provider(settings: Settings, capability: str, provider_id: str) -> Any:
    """The provider, built once per process and settings object (a process has one; the
    built providers live on it, so they go when it goes)."""
    built = settings.built_providers
    key = f"{capability}:{provider_id}"
    found = built.get(key)
    if found is not None:
        return found
    with _build_lock:
        found = built.get(key)
        if found is None:
            found = spec(capability, provider_id).build(settings)
            built[key] = found
    return found


def image_capabilities(provider_id: str, settings: Settings | None = None) -> ImageCapabilities:
    """What the image provider can do; with ``settings``, as configured there."""
    provider_spec = spec("image", provider_id)
    configured = settings is not None and not provider_spec.missing(settings)
    if configured and settings is not None and provider_spec.image_for is not None:
        return provider_spec.image_for(settings)
    found = provider_spec.image
    if found is None:
        raise LookupError(f"image provider {provider_id!r} declares no capabilities")
    return found


def video_capabilities(
    provider_id: str, settings: Settings | None = None
) -> VideoModelCapabilities | None:
    """What the video provider's model can do; with ``settings``, as configured there. None
    for an engine that is not a video model (the studio engine renders its own videos)."""
    provider_spec = spec("video", provider_id)
    configured = settings is not None and not provider_spec.missing(settings)
    if configured and settings is not None and provider_spec.video_for is not None:
        return provider_spec.video_for(settings)
    return provider_spec.video
