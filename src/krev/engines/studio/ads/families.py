"""The six layout families: for each, the ad's drawn parts and its copy stacked in the family's
regions, with the inks each text prefers. Pure geometry; colors are checked against the drawn
pixels afterwards (``compose``). Variants move details: alignment, where the hook sits.
On 9:16 every family sets its copy in the middle band above the scene (``geometry``), with
larger type bounds (``Context.type_px``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from krev.engines.providers import AdCopy
from krev.engines.studio.ads.color import legible_on, mix, readable
from krev.engines.studio.ads.geometry import Frame, Rect, text_area
from krev.engines.studio.ads.palette import AdPalette
from krev.engines.studio.ads.shapes import (
    Circle,
    Fill,
    Ghost,
    Line,
    Polygon,
    RoundRect,
    Shadow,
    Shape,
    Tick,
)
from krev.engines.studio.ads.stack import Piece, Placed, stack
from krev.engines.studio.ads.styles import AdStyle
from krev.engines.studio.text.draw import Align
from krev.engines.studio.text.fit import TextStyle, fit_text

__all__ = ["FAMILIES", "Context", "Design", "TextSpec", "benefit_items"]


@dataclass(frozen=True)
class TextSpec:
    placed: Placed
    inks: tuple[str, ...]
    """Colors to try, in order, against the pixels under the text."""
    scrim: str
    """The panel laid under the text when no ink reaches its contrast on the pixels there."""
    ornament: bool = False
    """Decorative glyphs (a quotation mark): held to the large-text contrast."""


@dataclass
class Design:
    ground: list[Shape] = field(default_factory=list)
    """Drawn before the scene goes in."""
    shapes: list[Shape] = field(default_factory=list)
    """Drawn over it (never over a product)."""
    texts: list[TextSpec] = field(default_factory=list)

    def add(self, placed: list[Placed], inks: dict[str, tuple[str, ...]], scrim: str) -> None:
        for item in placed:
            self.texts.append(
                TextSpec(item, inks[item.piece.name], scrim, item.piece.name == "mark")
            )


@dataclass(frozen=True)
class Context:
    width: int
    height: int
    style: AdStyle
    copy: AdCopy
    palette: AdPalette
    frame: Frame
    products: list[Rect]
    """Product boxes in canvas coordinates."""
    density: float
    variant: int

    @property
    def unit(self) -> float:
        return min(self.width, self.height) / 1080

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))

    @property
    def story(self) -> bool:
        return self.frame.shape == "story"

    def type_px(self, feed: float, story: float) -> int:
        """A type size bound: ``feed`` on 1:1 and 4:5, ``story`` on 9:16, where the copy has the
        whole middle band above the scene to itself and a reader has a few seconds per story."""
        return self.px(story if self.story else feed)

    def on(self, ground: str, *preferred: str) -> tuple[str, ...]:
        """Inks for text on ``ground``: the preferred ones, their legible shades, then black
        or white."""
        shades = tuple(legible_on(c, ground) for c in preferred)
        return (*preferred, *shades, readable(ground))


def _overlaps(a: Rect, b: Rect, margin: int = 0) -> bool:
    return not (
        a[0] + a[2] + margin <= b[0]
        or b[0] + b[2] + margin <= a[0]
        or a[1] + a[3] + margin <= b[1]
        or b[1] + b[3] + margin <= a[1]
    )


def _inside(a: Rect, b: Rect) -> bool:
    return (
        a[0] >= b[0] and a[1] >= b[1] and a[0] + a[2] <= b[0] + b[2] and a[1] + a[3] <= b[1] + b[3]
    )


def benefit_items(body: str, limit: int = 3) -> list[str]:
    """A benefit body split into its items: by line, bullet, semicolon or sentence."""
    parts = [p.strip(" -\u2022\u00b7") for p in re.split(r"\n|\u2022|\u00b7|;|(?<=[.!?])\s+", body)]
    items = [p for p in parts if p]
    if len(items) > limit:
        items = [*items[: limit - 1], " ".join(items[limit - 1 :])]
    return items


def _headroom(ctx: Context) -> float:
    # Dense inspirations carry bigger type; airy ones smaller, with more space around it.
    return 0.9 + 0.2 * ctx.density


def _hero_band(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    _sx, sy, _sw, sh = ctx.frame.scene
    rule = ctx.px(12)
    if ctx.story:  # the band above the scene, the accent rule along the scene's top edge
        band, rule_top = (0, 0, ctx.width, sy), sy - rule
    else:  # the band below the scene, the rule along its top
        band = (0, sy + sh, ctx.width, ctx.height - sy - sh)
        rule_top = sy + sh
    design.shapes.append(Fill(band, p.surface))
    centered = ctx.variant % 2 == 1
    align: Align = "center" if centered else "left"
    hook_pill = _hook_pill(ctx, design) if centered else False
    if not centered:
        design.shapes.append(Fill((0, rule_top, ctx.width, rule), p.accent))
    pieces = [
        Piece(
            "hook",
            "" if hook_pill else ctx.copy.hook,
            TextStyle("sans", "bold", 1.15, uppercase=True),
            0.34,
            ctx.px(22),
            ctx.type_px(34, 38),
            2,
        ),
        Piece(
            "headline",
            ctx.copy.headline,
            TextStyle("sans", "bold", 1.08),
            1.0,
            ctx.px(42),
            ctx.type_px(92 * _headroom(ctx), 108 * _headroom(ctx)),
            3,
            gap=0.42,
        ),
        Piece(
            "body",
            ctx.copy.body_copy,
            TextStyle("sans", "regular", 1.3),
            0.42 if not ctx.story else 0.44,
            ctx.px(26),
            ctx.type_px(36, 44),
            3,
            gap=0.75,
        ),
        Piece(
            "cta",
            ctx.copy.cta,
            TextStyle("sans", "bold", 1.0),
            0.4 if not ctx.story else 0.42,
            ctx.type_px(26, 34),
            ctx.type_px(38, 44),
            1,
            gap=1.0,
            button=(1.2, 0.62),
        ),
    ]
    placed = stack(pieces, ctx.frame.regions["copy"], align, "center")
    for item in placed:
        if item.piece.button:
            design.shapes.append(RoundRect(item.box, item.box[3] / 2, p.button))
    inks = {
        "hook": ctx.on(p.surface, p.accent, p.text),
        "headline": ctx.on(p.surface, p.text),
        "body": ctx.on(p.surface, p.text),
        "cta": ctx.on(p.button, p.button_text),
    }
    design.add(placed, inks, p.surface)
    return design


def _hook_pill(ctx: Context, design: Design) -> bool:
    """The hook as a pill over the scene's upper part, where no product is; False when there is
    no such place (the hook then joins the copy)."""
    p = ctx.palette
    if not ctx.copy.hook.strip():
        return False
    sx, sy, sw, _sh = ctx.frame.scene
    area = text_area(ctx.width, ctx.height)
    style = TextStyle("sans", "bold", 1.1, uppercase=True)
    pad_x, pad_y = ctx.px(26), ctx.px(14)
    block = fit_text(
        ctx.copy.hook,
        style,
        round(sw * 0.7) - 2 * pad_x,
        ctx.px(80),
        ctx.px(22),
        ctx.type_px(30, 36),
        1,
    )
    if block.empty or block.truncated:
        return False
    w, h = block.width + 2 * pad_x, block.height + 2 * pad_y
    top = max(area[1], sy + ctx.px(36))
    for x in (sx + (sw - w) // 2, max(area[0], sx + ctx.px(36)), sx + sw - w - ctx.px(36)):
        box = (x, top, w, h)
        if not _inside(box, area) or not _inside(box, ctx.frame.scene):
            continue
        if any(_overlaps(box, product, ctx.px(16)) for product in ctx.products):
            continue
        design.shapes.append(RoundRect(box, h / 2, p.surface))
        piece = Piece("hook", ctx.copy.hook, style, 1.0, block.size, block.size, 1)
        text_box = (x + pad_x, top + pad_y, w - 2 * pad_x, block.height)
        design.texts.append(
            TextSpec(
                Placed(piece, block, box, text_box, "center"), ctx.on(p.surface, p.text), p.surface
            )
        )
        return True
    return False


def _gallery(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    design.ground.append(Fill((0, 0, ctx.width, ctx.height), p.background))
    sx, sy, sw, sh = ctx.frame.scene
    gap = ctx.px(16)
    design.shapes.append(
        RoundRect(
            (sx - gap, sy - gap, sw + 2 * gap, sh + 2 * gap),
            0,
            p.accent,
            outline=ctx.px(2),
            opacity=0.7,
        )
    )
    small_caps = ("smcp", "c2sc")
    align: Align = "left" if ctx.variant % 2 == 1 else "center"
    pieces = [
        Piece(
            "hook",
            ctx.copy.hook,
            TextStyle("serif", "regular", 1.2, features=small_caps),
            0.38,
            ctx.px(24),
            ctx.type_px(34, 40),
            2,
        ),
        Piece(
            "headline",
            ctx.copy.headline,
            TextStyle("serif", "regular", 1.1),
            1.0,
            ctx.px(40),
            ctx.type_px(80 * _headroom(ctx), 100 * _headroom(ctx)),
            3,
            gap=0.3,
        ),
        Piece(
            "body",
            ctx.copy.body_copy,
            TextStyle("serif", "regular", 1.35),
            0.44,
            ctx.px(26),
            ctx.type_px(34, 44),
            3,
            gap=1.5,
        ),
        Piece(
            "cta",
            ctx.copy.cta,
            TextStyle("serif", "regular", 1.0, features=small_caps),
            0.42,
            ctx.type_px(26, 34),
            ctx.type_px(34, 42),
            1,
            gap=1.1,
            button=(1.5, 0.55),
        ),
    ]
    placed = stack(pieces, ctx.frame.regions["copy"], align, "center")
    by_name = {item.piece.name: item for item in placed}
    if "headline" in by_name and "body" in by_name:
        head, body = by_name["headline"].box, by_name["body"].box
        y = (head[1] + head[3] + body[1]) // 2
        length = ctx.px(70)
        x0 = head[0] + (head[2] - length) // 2 if align == "center" else head[0]
        design.shapes.append(Line((x0, y), (x0 + length, y), ctx.px(2), p.accent))
    for item in placed:
        if item.piece.button:
            design.shapes.append(RoundRect(item.box, 0, p.button, outline=ctx.px(2)))
    inks = {
        "hook": ctx.on(p.background, p.accent, p.text),
        "headline": ctx.on(p.background, p.text),
        "body": ctx.on(p.background, p.text),
        "cta": ctx.on(p.background, p.button, p.text),
    }
    design.add(placed, inks, p.background)
    return design


def _offer_panel_shape(ctx: Context) -> Polygon:
    """The loud panel: left of the scene on feed sizes, above it on 9:16; its slanted edge cuts
    into the scene's corner (top left on feed, left on 9:16), never into a product."""
    sx, sy, _sw, _sh = ctx.frame.scene
    slant = round(0.07 * ctx.width)
    clear = ctx.px(12)
    if ctx.story:
        for px_, py_, _pw, _ph in ctx.products:
            if py_ - clear < sy + slant * (1 - px_ / ctx.width):
                slant = 0
        return Polygon(
            ((0, 0), (ctx.width, 0), (ctx.width, sy), (0, sy + slant)), ctx.palette.surface
        )
    for px_, py_, _pw, _ph in ctx.products:
        if px_ - clear < sx + slant * (1 - py_ / ctx.height):
            slant = 0
    return Polygon(
        ((0, 0), (sx + slant, 0), (sx, ctx.height), (0, ctx.height)), ctx.palette.surface
    )


def _offer_panel(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    design.shapes.append(_offer_panel_shape(ctx))
    condensed_caps = TextStyle("condensed", "bold", 1.0, uppercase=True)
    pieces = [
        Piece(
            "hook",
            ctx.copy.hook,
            TextStyle("condensed", "bold", 1.05, uppercase=True),
            0.3,
            ctx.px(24),
            ctx.type_px(34, 40),
            3,
            button=(0.45, 0.28),
        ),
        Piece(
            "headline",
            ctx.copy.headline,
            TextStyle("condensed", "bold", 0.98, uppercase=True),
            1.0,
            ctx.px(54),
            ctx.type_px(170 * _headroom(ctx), 150 * _headroom(ctx)),
            4 if not ctx.story else 3,
            gap=0.35,
        ),
        Piece(
            "body",
            ctx.copy.body_copy,
            TextStyle("condensed", "regular", 1.25),
            0.3 if not ctx.story else 0.36,
            ctx.px(27),
            ctx.type_px(38, 46),
            4,
            gap=0.8,
        ),
        Piece(
            "cta",
            ctx.copy.cta,
            condensed_caps,
            0.34 if not ctx.story else 0.36,
            ctx.type_px(28, 34),
            ctx.type_px(42, 46),
            1,
            gap=1.1,
            button=(0.8, 0.62),
            full_width=True,
        ),
    ]
    placed = stack(
        pieces, ctx.frame.regions["copy"], "left", "top" if ctx.variant % 2 == 1 else "center"
    )
    for item in placed:
        if item.piece.name == "hook":
            design.shapes.append(RoundRect(item.box, ctx.px(4), p.accent))
        elif item.piece.button:
            design.shapes.append(RoundRect(item.box, ctx.px(6), p.button))
    inks = {
        "hook": ctx.on(p.accent, p.surface, p.button_text),
        "headline": ctx.on(p.surface, p.text),
        "body": ctx.on(p.surface, p.text),
        "cta": ctx.on(p.button, p.button_text),
    }
    design.add(placed, inks, p.surface)
    return design


def _quote_card(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    design.ground.append(Fill((0, 0, ctx.width, ctx.height), p.background))
    region = ctx.frame.regions["copy"]
    pad = ctx.px(44)
    if ctx.story:  # the card may reach up into the top safe zone: only its text must not
        inner = (region[0] + pad, region[1], region[2] - 2 * pad, region[3] - pad)
    else:
        inner = (region[0] + pad, region[1] + pad, region[2] - 2 * pad, region[3] - 2 * pad)
    align: Align = "center" if ctx.variant % 2 == 1 else "left"
    headline = ctx.copy.headline.strip()
    pieces = [
        Piece(
            "hook",
            ctx.copy.hook,
            TextStyle("serif", "bold", 1.15, uppercase=True),
            0.4 if not ctx.story else 0.52,
            ctx.px(22),
            ctx.type_px(28, 36),
            2,
        ),
        Piece(
            "mark",
            "\u201c",
            TextStyle("serif", "bold", 1.0, tight=True),
            1.9,
            ctx.px(64),
            ctx.type_px(120, 130),
            1,
            gap=0.25,
        ),
        Piece(
            "body",
            ctx.copy.body_copy,
            TextStyle("serif", "regular", 1.22),
            1.0,
            ctx.px(30),
            ctx.type_px(58 * _headroom(ctx), 66 * _headroom(ctx)),
            4,
            gap=0.3,
        ),
        Piece(
            "headline",
            f"\u2014 {headline}" if headline else "",
            TextStyle("serif", "bold", 1.15),
            0.55 if not ctx.story else 0.64,
            ctx.type_px(25, 30),
            ctx.type_px(34, 42),
            2,
            gap=0.8,
        ),
        Piece(
            "cta",
            ctx.copy.cta,
            TextStyle("serif", "bold", 1.0),
            0.5 if not ctx.story else 0.66,
            ctx.type_px(26, 34),
            ctx.type_px(34, 42),
            1,
            gap=1.0,
            button=(1.2, 0.6),
        ),
    ]
    placed = stack(pieces, inner, align, "center")
    if placed:
        top = min(item.box[1] for item in placed) - pad
        bottom = max(item.box[1] + item.box[3] for item in placed) + pad
        card = (region[0], top, region[2], bottom - top)
        radius = ctx.px(28)
        design.shapes.append(Shadow(card, radius, ctx.px(18), 0.16, ctx.px(8)))
        design.shapes.append(RoundRect(card, radius, p.surface))
    for item in placed:
        if item.piece.button:
            design.shapes.append(RoundRect(item.box, item.box[3] / 2, p.button))
    inks = {
        "hook": ctx.on(p.surface, p.accent, p.text),
        "mark": ctx.on(p.surface, p.accent),
        "body": ctx.on(p.surface, p.text),
        "headline": ctx.on(p.surface, p.text),
        "cta": ctx.on(p.button, p.button_text),
    }
    design.add(placed, inks, p.surface)
    return design


def _checklist(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    design.ground.append(Fill((0, 0, ctx.width, ctx.height), p.background))
    align: Align = "center" if ctx.variant % 2 == 1 else "left"
    header = [
        Piece(
            "hook",
            ctx.copy.hook,
            TextStyle("sans", "bold", 1.15, uppercase=True),
            0.36,
            ctx.px(22),
            ctx.type_px(32, 38),
            1,
        ),
        Piece(
            "headline",
            ctx.copy.headline,
            TextStyle("sans", "bold", 1.08),
            1.0,
            ctx.px(40),
            ctx.type_px(84 * _headroom(ctx), 100 * _headroom(ctx)),
            2,
            gap=0.35,
        ),
    ]
    items = benefit_items(ctx.copy.body_copy)
    rows = [
        Piece(
            "item",
            item,
            TextStyle("sans", "bold" if i == 0 else "regular", 1.22),
            1.0 if not ctx.story else 0.5,
            ctx.px(27),
            ctx.type_px(42, 46),
            4,
            gap=0.9 if i > 0 or ctx.story else 0.0,
            indent=1.55,
        )
        for i, item in enumerate(items)
    ]
    rows.append(
        Piece(
            "cta",
            ctx.copy.cta,
            TextStyle("sans", "bold", 1.0),
            0.85 if not ctx.story else 0.46,
            ctx.type_px(26, 34),
            ctx.type_px(38, 44),
            1,
            gap=1.4,
            button=(1.1, 0.62),
        )
    )
    if ctx.story:
        # One column in the middle band, the header and the list sized together; the list
        # stays left aligned beside its check marks whatever the header's alignment.
        column = stack([*header, *rows], ctx.frame.regions["copy"], "left", "center")
        placed = [replace(i, align=align) for i in column if i.piece.name in ("hook", "headline")]
        listed = [i for i in column if i.piece.name not in ("hook", "headline")]
    else:
        placed = stack(header, ctx.frame.regions["header"], align, "center")
        listed = stack(rows, ctx.frame.regions["list"], "left", "center")
    for item in listed:
        size = item.block.size
        if item.piece.name == "item":
            radius = 0.52 * size
            cx = item.box[0] - 1.55 * size + radius
            cy = item.box[1] + item.block.top - 0.36 * size
            design.shapes.append(Circle((cx, cy), radius, p.surface))
            design.shapes.append(Tick((cx, cy), radius, p.text))
        elif item.piece.button:
            design.shapes.append(RoundRect(item.box, item.box[3] / 2, p.surface))
    inks = {
        "hook": ctx.on(p.background, p.surface, p.accent),
        "headline": ctx.on(p.background, mix(p.surface, "#000000", 0.45)),
        "item": ctx.on(p.background, mix(p.surface, "#000000", 0.55)),
        "cta": ctx.on(p.surface, p.text),
    }
    design.add(placed, inks, p.background)
    design.add(listed, inks, p.background)
    return design


def _split(ctx: Context) -> Design:
    p, design = ctx.palette, Design()
    design.ground.append(Fill((0, 0, ctx.width, ctx.height), p.background))
    sx, sy, sw, sh = ctx.frame.scene
    ghost = ctx.frame.regions["ghost"]
    ring = ctx.px(5)
    design.shapes.append(
        RoundRect(
            (sx - 2 * ring, sy - 2 * ring, sw + 4 * ring, sh + 4 * ring),
            ctx.px(10),
            p.accent,
            outline=ring,
        )
    )
    design.shapes.append(RoundRect(ghost, ctx.px(12), p.surface))
    # The ordinary alternative: a faceless silhouette the size of the first product.
    if ctx.products:
        px_, py_, pw, ph = ctx.products[0]
        gw, gh = round(pw / sw * ghost[2]), round(ph / sh * ghost[3])
        gx = ghost[0] + round((px_ - sx) / sw * ghost[2])
        gy = ghost[1] + round((py_ - sy) / sh * ghost[3])
        design.shapes.append(Ghost((gx, gy, gw, gh), p.text, 0.16))
    mid_x = (sx + sw + ghost[0]) / 2
    design.shapes.append(Line((mid_x, sy), (mid_x, sy + sh), ctx.px(3), p.accent))
    design.shapes.append(Circle((mid_x, sy + sh / 2), ctx.px(20), p.accent))
    design.shapes.append(Circle((mid_x, sy + sh / 2), ctx.px(9), p.background))
    align: Align = "left" if ctx.variant % 2 == 1 else "center"
    header = [
        Piece(
            "hook",
            ctx.copy.hook,
            TextStyle("sans", "bold", 1.15, uppercase=True),
            0.36,
            ctx.px(22),
            ctx.type_px(32, 38),
            1,
        ),
        Piece(
            "headline",
            ctx.copy.headline,
            TextStyle("sans", "bold", 1.08),
            1.0,
            ctx.px(40),
            ctx.type_px(80 * _headroom(ctx), 100 * _headroom(ctx)),
            2,
            gap=0.35,
        ),
    ]
    copy = [
        Piece(
            "body",
            ctx.copy.body_copy,
            TextStyle("sans", "regular", 1.3),
            1.0 if not ctx.story else 0.45,
            ctx.px(26),
            ctx.type_px(36, 44),
            3,
            gap=0.8,
        ),
        Piece(
            "cta",
            ctx.copy.cta,
            TextStyle("sans", "bold", 1.0),
            1.05 if not ctx.story else 0.45,
            ctx.type_px(26, 34),
            ctx.type_px(38, 44),
            1,
            gap=0.9,
            button=(1.2, 0.6),
        ),
    ]
    if ctx.story:  # all the copy above the two columns, sized together
        column = stack([*header, *copy], ctx.frame.regions["copy"], align, "center")
        placed = [item for item in column if item.piece.name in ("hook", "headline")]
        below = [item for item in column if item.piece.name not in ("hook", "headline")]
    else:
        placed = stack(header, ctx.frame.regions["header"], align, "center")
        below = stack(copy, ctx.frame.regions["copy"], align, "center")
    for item in below:
        if item.piece.button:
            design.shapes.append(RoundRect(item.box, ctx.px(12), p.button))
    inks = {
        "hook": ctx.on(p.background, p.accent, p.text),
        "headline": ctx.on(p.background, p.text),
        "body": ctx.on(p.background, p.text),
        "cta": ctx.on(p.button, p.button_text),
    }
    design.add(placed, inks, p.background)
    design.add(below, inks, p.background)
    return design


FAMILIES: dict[str, Callable[[Context], Design]] = {
    "hero_band": _hero_band,
    "gallery": _gallery,
    "offer_panel": _offer_panel,
    "quote_card": _quote_card,
    "checklist": _checklist,
    "split": _split,
}
