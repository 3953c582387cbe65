"""The studio presets: each is a named set of defaults for the scene spec plus how the set is
built (backdrop kind, glossy floor, podiums). A prompt's own words override a preset's defaults,
except where a preset fixes a choice that defines it (a flat lay is always shot from above).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PRESETS", "Preset", "preset_by_id"]


@dataclass(frozen=True)
class Preset:
    id: str
    description: str
    # Scene-spec defaults (the same keys and vocabulary prompt.py produces).
    defaults: dict[str, object] = field(default_factory=dict)
    # Spec keys whose preset value wins over the prompt's.
    fixed: frozenset[str] = frozenset()
    # How the set is built.
    backdrop: str = "wall"  # wall | sweep | gradient | outdoor | sky | none
    glossy: bool = False  # the floor reflects the products


PRESETS: tuple[Preset, ...] = (
    Preset(
        "studio_white",
        "A seamless white studio sweep with soft, even light and a gentle contact shadow.",
        {
            "surface": "seamless",
            "lighting": "studio",
            "camera": "eye_level",
            "mood": "minimal",
            "tone": "light",
            "colors": ["#f4f4f2"],
        },
        backdrop="sweep",
    ),
    Preset(
        "flat_lay",
        "A top-down flat lay on textured paper with short, soft shadows and tidy spacing.",
        {
            "surface": "paper",
            "lighting": "soft_window",
            "camera": "top_down",
            "mood": "minimal",
            "colors": ["#ece6dc"],
        },
        fixed=frozenset({"camera"}),
        backdrop="none",
    ),
    Preset(
        "lifestyle",
        "A wooden tabletop against a warm plaster wall in soft window light, with a plant.",
        {
            "surface": "wood",
            "lighting": "soft_window",
            "camera": "eye_level",
            "mood": "natural",
            "props": ["plants"],
            "colors": ["#e9e1d4"],
        },
    ),
    Preset(
        "podium",
        "Products on cylindrical podiums in a pastel studio set with soft shadows.",
        {
            "surface": "seamless",
            "lighting": "studio",
            "camera": "eye_level",
            "mood": "playful",
            "props": ["podium"],
            "colors": ["#f2d4d7"],
        },
        fixed=frozenset({"props"}),
        backdrop="sweep",
    ),
    Preset(
        "gradient",
        "A smooth two-tone color gradient backdrop with a soft floor shadow.",
        {
            "surface": "seamless",
            "lighting": "studio",
            "camera": "eye_level",
            "mood": "minimal",
            "colors": ["#cfd9f7", "#f7d9e8"],
        },
        backdrop="gradient",
    ),
    Preset(
        "marble",
        "A polished white marble countertop with soft reflections against a light wall.",
        {
            "surface": "marble",
            "lighting": "soft_window",
            "camera": "eye_level",
            "mood": "luxury",
            "tone": "light",
            "colors": ["#f1efeb"],
        },
        glossy=True,
    ),
    Preset(
        "outdoor_light",
        "A sunlit stone ledge outdoors with blurred greenery behind and warm golden-hour light.",
        {
            "surface": "stone",
            "lighting": "golden_hour",
            "camera": "eye_level",
            "mood": "natural",
            "props": ["plants"],
            "colors": ["#d8cbb5"],
        },
        backdrop="outdoor",
    ),
    Preset(
        "dark_luxe",
        "Dark marble with gold veining under a spotlight, for premium products.",
        {
            "surface": "marble",
            "lighting": "spotlight",
            "camera": "eye_level",
            "mood": "luxury",
            "tone": "dark",
            "colors": ["#3a383e", "#a98c5a"],
        },
        glossy=True,
    ),
    Preset(
        "pastel_pop",
        "A playful pastel set with geometric blocks and spheres in bright, even light.",
        {
            "surface": "seamless",
            "lighting": "high_key",
            "camera": "eye_level",
            "mood": "playful",
            "props": ["blocks", "sphere"],
            "colors": ["#bfe3dc", "#f6c6cf"],
        },
        backdrop="sweep",
    ),
    Preset(
        "neon",
        "A dark set washed in magenta and cyan neon light over a glossy black floor.",
        {
            "surface": "glass",
            "lighting": "neon",
            "camera": "eye_level",
            "mood": "moody",
            "tone": "dark",
            "colors": ["#121018"],
        },
        glossy=True,
    ),
    Preset(
        "concrete",
        "Raw concrete surface and wall in cool, directional daylight for an urban, minimal look.",
        {
            "surface": "concrete",
            "lighting": "dramatic",
            "camera": "eye_level",
            "mood": "minimal",
            "colors": ["#b9b7b2"],
        },
    ),
    Preset(
        "beach",
        "Rippled sand with pebbles in warm sunlight, shot from above.",
        {
            "surface": "sand",
            "lighting": "sunlight",
            "camera": "top_down",
            "mood": "natural",
            "props": ["stones"],
            "colors": ["#e2cfa9"],
        },
        backdrop="none",
    ),
    Preset(
        "water",
        "A rippling water surface with caustic light, shot from above.",
        {
            "surface": "water",
            "lighting": "sunlight",
            "camera": "top_down",
            "mood": "natural",
            "colors": ["#5fb4c9"],
        },
        fixed=frozenset({"camera"}),
        backdrop="none",
    ),
)

_BY_ID = {preset.id: preset for preset in PRESETS}


def preset_by_id(preset_id: str | None) -> Preset | None:
    """The preset with this id, or None (also for an unknown id: callers validate ids)."""
    return _BY_ID.get(preset_id) if preset_id else None
