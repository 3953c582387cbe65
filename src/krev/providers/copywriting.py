"""Ad copy for a request, from the configured copywriter or, when it fails, its fallback: the
one call the ads pipeline (and the videos and chat that reuse the copy) makes.

``KREV_COPY_ENGINE`` writes first. On a ``ProviderError`` (an LLM down, slow, refusing, or
answering copy that breaks Meta's limits or states figures nobody gave) the configured
``KREV_COPY_FALLBACK`` writes instead, and without one the embedded ``studio`` copywriter,
which needs no network and no model. A failed call is not retried: copy is a small part of an
ad, and the embedded copywriter answers at once. What wrote the copy, and why the first
choice did not, is in the outcome for the generation to record.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from krev.engines.providers import (
    AdCopy,
    CopyRequest,
    Copywriter,
    InvalidRequest,
    ProviderError,
    copy_problems,
    invented_figures,
)
from krev.platform.config import Settings
from krev.providers import registry

__all__ = ["EMBEDDED_COPYWRITER", "CopyOutcome", "copy_chain", "write_ad_copy"]

EMBEDDED_COPYWRITER = "studio"

log = structlog.get_logger("krev.providers.copywriting")


@dataclass(frozen=True)
class CopyOutcome:
    copies: list[AdCopy]
    """One per requested variant, in order."""
    engine: str
    """The copywriter that wrote them."""
    fallback_from: str | None = None
    """The copywriter that was asked first and failed, if any."""
    fallback_reason: str | None = None
    """Its error, in words a user may read."""


def copy_chain(settings: Settings) -> list[str]:
    """The copywriters to ask, in order: the engine, then the configured fallback, else the
    embedded one."""
    engine = registry.engine_of(settings, "copy")
    fallback = registry.fallback_of(settings, "copy") or EMBEDDED_COPYWRITER
    return [engine] if fallback == engine else [engine, fallback]


def write_ad_copy(settings: Settings, request: CopyRequest) -> CopyOutcome:
    """``request.count`` copies within Meta's limits, and who wrote them; the last
    ``ProviderError`` when every copywriter in the chain failed."""
    failed: tuple[str, ProviderError] | None = None
    last: ProviderError | None = None
    for provider_id in copy_chain(settings):
        try:
            writer: Copywriter = registry.provider(settings, "copy", provider_id)
            copies = _checked(writer.write(request), request)
        except ProviderError as error:
            log.warning("copywriter_failed", copywriter=provider_id, error=error.message)
            failed = failed or (provider_id, error)
            last = error
            continue
        return CopyOutcome(
            copies=copies,
            engine=provider_id,
            fallback_from=failed[0] if failed else None,
            fallback_reason=failed[1].message if failed else None,
        )
    assert last is not None  # the chain is never empty
    raise last


def _checked(copies: list[AdCopy], request: CopyRequest) -> list[AdCopy]:
    """The provider's copies, or ``InvalidRequest`` when they are not what was asked: copy
    that breaks the rules is that provider's failure, never cut to fit or passed on."""
    if len(copies) != request.count:
        raise InvalidRequest(
            f"The copywriter wrote {len(copies)} variant(s) where {request.count} were asked."
        )
    for copy in copies:
        problems = copy_problems(copy) + invented_figures(copy, request)
        if copy.style_name != request.style_name:
            problems.append(f"style_name {copy.style_name!r} is not {request.style_name!r}")
        if problems:
            raise InvalidRequest("The copywriter's answer breaks the rules: " + "; ".join(problems))
    return copies
