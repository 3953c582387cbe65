"""Ad creative: the style catalog, the copy each ad carries, and the layout that puts a product
scene, its copy and a call-to-action button on one image.

The pipeline: ``ad_palette`` (brand colors, the style's color logic, an inspiration's cues from
``inspiration_cues``) -> ``scene_box`` (the rectangle the image provider renders the product
scene for) -> ``compose_ad`` (scene, copy and button laid out in the style's family)."""

from krev.engines.studio.ads.compose import (
    AdRenderRequest,
    RenderedAd,
    SetText,
    compose_ad,
    render_ad,
)
from krev.engines.studio.ads.geometry import AD_SIZES, STORY_SAFE, scene_box, text_area
from krev.engines.studio.ads.inspiration import InspirationCues, inspiration_cues
from krev.engines.studio.ads.palette import AdPalette, ad_palette
from krev.engines.studio.ads.specimen import specimen_scene, style_thumbnail
from krev.engines.studio.ads.styles import (
    DEFAULT_STYLE_ID,
    STYLES,
    AdStyle,
    choose_style,
    style_by_id,
)

__all__ = [
    "AD_SIZES",
    "DEFAULT_STYLE_ID",
    "STORY_SAFE",
    "STYLES",
    "AdPalette",
    "AdRenderRequest",
    "AdStyle",
    "InspirationCues",
    "RenderedAd",
    "SetText",
    "ad_palette",
    "choose_style",
    "compose_ad",
    "inspiration_cues",
    "render_ad",
    "scene_box",
    "specimen_scene",
    "style_by_id",
    "style_thumbnail",
    "text_area",
]
