"""The fonts text is set in, by role (sans, serif, condensed) and weight, from Debian font
packages that ``make setup`` installs. A missing font is an error naming its package: an ad or a
caption set in another family would silently change every style's look.

A text whose characters the role's family lacks (Hebrew in Roboto Condensed, say) is set in the
DejaVu family of the same role instead, which covers far more scripts; text no installed font
covers is still set in the role's family, and logged once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

__all__ = [
    "FONT_DIRS",
    "FONT_PACKAGES",
    "FONT_ROLES",
    "FontRole",
    "FontUnavailableError",
    "FontWeight",
    "TypeFace",
    "face_for_text",
    "font_file",
    "load_font",
    "missing_font_packages",
]

logger = logging.getLogger(__name__)

FontRole = Literal["sans", "serif", "condensed"]
FontWeight = Literal["regular", "bold"]
FONT_ROLES: tuple[FontRole, ...] = ("sans", "serif", "condensed")

# Where Debian (and most Linux distributions) put fonts; the user's own folders last.
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)


@dataclass(frozen=True)
class TypeFace:
    family: str
    package: str
    """The Debian package that ships the files."""
    regular: str
    bold: str

    def file(self, weight: FontWeight) -> str:
        return self.bold if weight == "bold" else self.regular


# Inter: a screen sans drawn for legibility at every size, wide script coverage (Latin,
# Greek, Cyrillic). Linux Libertine: a bookish serif with true small capitals (OpenType
# smcp/c2sc) for the quiet styles. Roboto Condensed: narrow and loud for offers.
FACES: dict[FontRole, TypeFace] = {
    "sans": TypeFace("Inter", "fonts-inter", "Inter-Regular.otf", "Inter-Bold.otf"),
    "serif": TypeFace(
        "Linux Libertine", "fonts-linuxlibertine", "LinLibertine_R.otf", "LinLibertine_RB.otf"
    ),
    "condensed": TypeFace(
        "Roboto Condensed",
        "fonts-roboto-unhinted",
        "RobotoCondensed-Regular.ttf",
        "RobotoCondensed-Bold.ttf",
    ),
}
# The wide-coverage stand-ins for text a role's family cannot set (Hebrew, Arabic, Armenian…).
COVERAGE_FACES: dict[FontRole, TypeFace] = {
    "sans": TypeFace("DejaVu Sans", "fonts-dejavu-core", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": TypeFace(
        "DejaVu Serif", "fonts-dejavu-core", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"
    ),
    "condensed": TypeFace(
        "DejaVu Sans", "fonts-dejavu-core", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
    ),
}
FONT_PACKAGES: tuple[str, ...] = tuple(
    sorted({face.package for face in (*FACES.values(), *COVERAGE_FACES.values())})
)

# A code point no font maps (the last private-use one): what a missing glyph renders as.
_NOTDEF_PROBE = "\U0010fffd"
_PROBE_SIZE = 24


class FontUnavailableError(RuntimeError):
    """A font file the text layout needs is not installed; the message names its package."""

    def __init__(self, face: TypeFace, weight: FontWeight) -> None:
        self.package = face.package
        super().__init__(
            f"The font {face.family} {weight} ({face.file(weight)}) is not installed: "
            f"install the Debian package {face.package} (`make setup` does, or "
            f"`apt-get install {face.package}`)."
        )


@lru_cache(maxsize=4)
def _font_index(dirs: tuple[str, ...]) -> dict[str, str]:
    """File name -> path of every font under ``dirs`` (the first found wins)."""
    index: dict[str, str] = {}
    for folder in dirs:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for parent, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                if name.lower().endswith((".ttf", ".otf")):
                    index.setdefault(name, str(Path(parent) / name))
    return index


def _find(face: TypeFace, weight: FontWeight, dirs: tuple[str, ...]) -> str | None:
    return _font_index(dirs).get(face.file(weight))


def font_file(role: FontRole, weight: FontWeight, dirs: tuple[str, ...] = FONT_DIRS) -> str:
    """The path of the role's font, or ``FontUnavailableError`` naming the package to install."""
    face = FACES[role]
    path = _find(face, weight, dirs)
    if path is None:
        raise FontUnavailableError(face, weight)
    return path


def missing_font_packages(dirs: tuple[str, ...] = FONT_DIRS) -> list[str]:
    """The Debian packages whose fonts the text layout needs and cannot find (empty when ready)."""
    missing = {
        face.package
        for face in (*FACES.values(), *COVERAGE_FACES.values())
        for weight in ("regular", "bold")
        if _find(face, weight, dirs) is None
    }
    return sorted(missing)


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at ``path`` and ``size`` pixels, shaped by raqm (kerning, ligatures, marks,
    bidirectional text). Cached and shared across threads: Pillow holds the GIL through its
    FreeType calls, so one face is never used by two threads at once."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=32)
def _notdef_mask(path: str) -> bytes:
    return bytes(load_font(path, _PROBE_SIZE).getmask(_NOTDEF_PROBE))


@lru_cache(maxsize=8192)
def _has_glyph(path: str, char: str) -> bool:
    mask = load_font(path, _PROBE_SIZE).getmask(char)
    return bytes(mask) != _notdef_mask(path)


def _covers(path: str, text: str) -> bool:
    # Every chosen family sets Latin-1 in full; only rarer characters need looking up.
    return all(
        _has_glyph(path, char)
        for char in set(text)
        if ord(char) > 0xFF and not char.isspace() and char.isprintable()
    )


_warned: set[tuple[FontRole, str]] = set()


def face_for_text(
    role: FontRole, weight: FontWeight, text: str, dirs: tuple[str, ...] = FONT_DIRS
) -> str:
    """The font file to set ``text`` in: the role's family, or its DejaVu stand-in when only
    that has every glyph the text needs."""
    path = font_file(role, weight, dirs)
    if _covers(path, text):
        return path
    # DejaVu of the same role, then DejaVu Sans, which has the most scripts (Arabic among them).
    for face in (COVERAGE_FACES[role], COVERAGE_FACES["sans"]):
        stand_in = _find(face, weight, dirs)
        if stand_in is not None and _covers(stand_in, text):
            return stand_in
    missing = "".join(sorted({c for c in text if ord(c) > 0xFF and not _has_glyph(path, c)}))
    if (role, missing) not in _warned:
        _warned.add((role, missing))
        logger.warning("no installed font has glyphs for %r; they show as boxes", missing)
    return path
