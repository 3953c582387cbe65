"""Which workflow a video request takes: deterministic, first match wins (docs/videos.md).

1. UGC words in the prompt → ``ugc`` (the product if given, else the source image).
2. ``source_image`` → ``image_to_video`` (a product also given is only recorded).
3. ``product_id`` → ``reference_to_video``.
4. Otherwise ``text_to_video``, on the image endpoint's text-only rules.
"""

from __future__ import annotations

import re

from krev.engines.video import Workflow

# Words that ask for a creator-style edit. Matched as whole words, case-insensitively; the
# docs list them, and a test reads the list from here.
UGC_PHRASES: tuple[str, ...] = (
    "ugc",
    "user-generated",
    "user generated",
    "creator-style",
    "creator style",
    "creator video",
    "content creator",
    "influencer",
    "testimonial",
    "unboxing",
    "unbox",
    "haul",
    "grwm",
    "get ready with me",
    "day in the life",
    "pov",
    "selfie",
    "vlog",
    "talking head",
    "talking to camera",
    "honest review",
    "product review",
    "review video",
    "tiktok style",
    "tiktok-style",
    "reels style",
)

# People a prompt may put on camera: the studio engine films no one, so a UGC edit lists them
# as left out (output.scene.ignored) instead of pretending.
PEOPLE_WORDS: tuple[str, ...] = (
    "creator",
    "influencer",
    "woman",
    "women",
    "man",
    "men",
    "girl",
    "boy",
    "guy",
    "lady",
    "person",
    "people",
    "model",
    "customer",
    "host",
    "presenter",
    "mom",
    "dad",
    "athlete",
    "face",
    "hands",
    "hand",
)


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


_UGC = _phrase_pattern(UGC_PHRASES)
_PEOPLE = _phrase_pattern(PEOPLE_WORDS)


def ugc_words(prompt: str) -> list[str]:
    """The UGC phrases the prompt uses, lower-cased, in order."""
    return list(dict.fromkeys(match.group(0).lower() for match in _UGC.finditer(prompt)))


def people_named(prompt: str) -> list[str]:
    """The people the prompt puts on camera, lower-cased, in order."""
    return list(dict.fromkeys(match.group(0).lower() for match in _PEOPLE.finditer(prompt)))


def choose_workflow(prompt: str, *, source_image: bool, product: bool) -> Workflow:
    if ugc_words(prompt):
        return "ugc"
    if source_image:
        return "image_to_video"
    if product:
        return "reference_to_video"
    return "text_to_video"
