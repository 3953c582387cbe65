"""The held-out evaluation set: labelled product photos that the analysis is never tuned on.

Built separately from the tuning set (tests/support/product_photos.py), on purpose with nothing
in common but numpy: a catalog is planned first (brands that recur across products, product
lines that never do, each product's type, category, body color and the color names a merchant
would accept for it), then each product is photographed: parts drawn as anti-aliased polygons at
the photo's own size (no supersampling), 3-D forms (cuboids in perspective, cylinders with
elliptic ends), labels typeset with Debian's font packages (Liberation, FreeFont, URW base35) in
five layouts and wrapped round cylinders or warped in perspective, handles and tote straps with
holes, kraft and canvas textures, white sweeps, gradients, flat colors, wood, linen and concrete
textures and busy cluttered scenes, contact shadows, specular glare, low light, JPEG at quality
60 and photos from 800 px to 3000 px.

Everything is a pure function of ``SEED`` and the photo's index. **Never tune the analysis
against this set** (docs/catalog.md, "Evaluation sets"); any change to this file or to ``SEED``
makes a new set, to be reported as such.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

SEED = 20_251_207
SET_NAME = "held-out v1"
PHOTOS = 132

Float = npt.NDArray[np.float32]
RGB = tuple[float, float, float]
Background = Literal["white sweep", "gradient", "colored", "textured", "busy"]
Lighting = Literal["even", "low", "glare"]
Kind = Literal["bottle", "jar", "box", "pouch", "tote", "tube", "can", "mug", "shoe"]
BACKGROUND_KINDS: tuple[Background, ...] = (
    "white sweep",
    "gradient",
    "colored",
    "textured",
    "busy",
)
LIGHT_BACKGROUNDS: frozenset[Background] = frozenset({"white sweep", "gradient"})

# --- Fonts: Debian packages the project installs itself (`make setup-fonts`) ----------------

FONT_PACKAGES = ("fonts-liberation2", "fonts-freefont-ttf", "fonts-urw-base35")
_LIB = "/usr/share/fonts/truetype/liberation2/"
_FREE = "/usr/share/fonts/truetype/freefont/"
_URW = "/usr/share/fonts/opentype/urw-base35/"
FONTS: dict[str, str] = {
    "sans-bold": _LIB + "LiberationSans-Bold.ttf",
    "sans": _LIB + "LiberationSans-Regular.ttf",
    "serif": _LIB + "LiberationSerif-Regular.ttf",
    "serif-italic": _LIB + "LiberationSerif-Italic.ttf",
    "serif-bold": _LIB + "LiberationSerif-Bold.ttf",
    "free-sans-bold": _FREE + "FreeSansBold.ttf",
    "free-serif-italic": _FREE + "FreeSerifItalic.ttf",
    "gothic-demi": _URW + "URWGothic-Demi.otf",
    "gothic-book": _URW + "URWGothic-Book.otf",
    "narrow-bold": _URW + "NimbusSansNarrow-Bold.otf",
    "bookman": _URW + "URWBookman-Light.otf",
    "palatino": _URW + "P052-Roman.otf",
    "palatino-italic": _URW + "P052-Italic.otf",
    "century-bold": _URW + "C059-Bold.otf",
}
_DISPLAY = ("sans-bold", "free-sans-bold", "gothic-demi", "narrow-bold", "century-bold")
_TEXT = ("serif", "serif-italic", "palatino", "palatino-italic", "bookman", "gothic-book", "sans")


def missing_fonts() -> list[str]:
    """The font files this set renders with that are not on this machine."""
    return [path for path in FONTS.values() if not Path(path).is_file()]


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONTS[name], max(6, size))


# --- The catalog ------------------------------------------------------------------------------

# Brands recur across the catalog, each in its own wordmark casing (the truth keeps it).
BRANDS = (
    "NORDVIK",
    "Lumora",
    "KESTREL",
    "Blue Fjord",
    "Amberly",
    "OSTARA",
    "Pellworth",
    "VANTA",
    "Mirelle",
    "halden",
)
# Product lines are made of one word from each list and never recur.
_LINE_FIRST = (
    "Night", "Morning", "Velvet", "Cedar", "Arctic", "Golden", "Wild", "Silver", "Coastal",
    "Midnight", "Ember", "Meadow", "Harbor", "Polar", "Citrus", "Slow", "Rosy", "Deep", "Quiet",
    "Copper", "Juniper", "Saffron", "Lunar", "Summit", "Tidal", "Hazel", "Orchard", "Stone",
)  # fmt: skip
_LINE_SECOND = (
    "Repair", "Bloom", "Ritual", "Roast", "Tide", "Grove", "Glow", "Harvest", "Trail", "Drift",
    "Spark", "Mist", "Field", "Haven", "Crest", "Dune", "Path", "Fern", "Hour", "Rain", "Light",
    "Ridge", "Garden", "Breeze", "Ember", "Shore",
)  # fmt: skip


@dataclass(frozen=True)
class Swatch:
    name: str
    hex: str
    acceptable: frozenset[str]  # the color names a merchant would accept for it

    @property
    def rgb(self) -> RGB:
        value = self.hex.lstrip("#")
        r, g, b = (int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
        return (r, g, b)


def _swatch(name: str, hex_value: str, *others: str) -> Swatch:
    return Swatch(name, hex_value, frozenset({name, *others}))


SWATCHES: dict[str, Swatch] = {
    s.name: s
    for s in (
        _swatch("white", "#f1f0ec", "whitesmoke", "snow", "ghostwhite", "ivory", "seashell"),
        _swatch(
            "cream",
            "#ece2c6",
            "ivory",
            "beige",
            "linen",
            "oldlace",
            "antiquewhite",
            "cornsilk",
            "wheat",
            "white",
        ),
        _swatch("black", "#1b1b1d", "darkslategray"),
        _swatch("gray", "#77797d", "grey", "dimgray", "slategray", "darkgray"),
        _swatch("silver", "#c3c6cb", "lightgray", "gainsboro", "darkgray", "gray"),
        _swatch("red", "#b3262e", "crimson", "firebrick", "darkred"),
        _swatch("maroon", "#6a1d2a", "darkred", "brown"),
        _swatch("orange", "#e2681f", "darkorange", "orangered", "chocolate", "coral"),
        _swatch("yellow", "#e3b521", "gold", "goldenrod", "mustard"),
        _swatch("kraft", "#b48f5e", "tan", "burlywood", "peru", "brown", "darkkhaki"),
        _swatch("brown", "#6b4226", "saddlebrown", "sienna", "chocolate"),
        _swatch("amber", "#8c4a14", "brown", "saddlebrown", "sienna", "chocolate", "orange"),
        _swatch("olive", "#66742f", "olivedrab", "darkolivegreen", "green"),
        _swatch("green", "#2d6140", "darkgreen", "forestgreen", "seagreen", "darkolivegreen"),
        _swatch("teal", "#157a80", "darkcyan", "cadetblue", "darkslategray"),
        _swatch("lightblue", "#86bde0", "skyblue", "lightskyblue", "blue", "cornflowerblue"),
        _swatch("navy", "#1f2b4a", "midnightblue", "darkslateblue", "blue"),
        _swatch("purple", "#5d3b7d", "rebeccapurple", "indigo", "darkslateblue"),
        _swatch("pink", "#e9a2b6", "lightpink", "palevioletred", "hotpink"),
    )
}


@dataclass(frozen=True)
class Line:
    """A kind of product a brand makes: its taxonomy type and category, the descriptor printed
    under the product line, the size printed on the label, materials and body colors."""

    product_type: str
    category: str
    descriptors: tuple[str, ...]
    sizes: tuple[str, ...]
    materials: tuple[str, ...]
    bodies: tuple[str, ...]


_KINDS: dict[Kind, tuple[Line, ...]] = {
    "bottle": (
        Line("serum", "skincare", ("Hydrating Serum", "Face Serum"), ("30 ml", "1 FL OZ"),
             ("glass",), ("amber", "white", "black", "pink", "teal")),
        Line("shampoo", "beauty", ("Daily Shampoo", "Volume Shampoo"), ("250 ml", "400 ml"),
             ("plastic",), ("white", "navy", "green", "lightblue")),
        Line("juice", "beverage", ("Cold Pressed Juice",), ("500 ml", "330 ml"),
             ("glass",), ("orange", "green", "red")),
        Line("wine", "beverage", ("Red Wine", "Dry White Wine"), ("750 ml",),
             ("glass",), ("green", "black", "maroon")),
        Line("cleaning", "home", ("Dish Soap", "Laundry Detergent"), ("500 ml", "1 L"),
             ("plastic",), ("white", "yellow", "lightblue", "teal")),
    ),
    "jar": (
        Line("moisturizer", "skincare", ("Face Cream", "Day Cream"), ("50 ml",),
             ("glass",), ("white", "cream", "pink", "navy")),
        Line("spread", "food", ("Raw Honey", "Peanut Butter"), ("340 g", "454 g"),
             ("glass",), ("amber", "yellow", "brown")),
        Line("candle", "home", ("Scented Candle", "Soy Candle"), ("220 g",),
             ("glass",), ("white", "black", "gray", "green")),
        Line("collagen", "supplement", ("Collagen Peptides",), ("300 g",),
             ("plastic",), ("white", "black", "purple")),
    ),
    "box": (
        Line("tea", "beverage", ("Green Tea", "Herbal Tea"), ("20 bags", "40 g"),
             ("cardboard",), ("green", "red", "yellow", "purple", "teal")),
        Line("cereal", "food", ("Crunchy Granola", "Oat Cereal"), ("500 g", "375 g"),
             ("cardboard",), ("orange", "yellow", "red", "lightblue")),
        Line("capsules", "supplement", ("Vegan Capsules", "Softgels"), ("60 caps", "90 caps"),
             ("cardboard",), ("white", "navy", "teal", "black")),
        Line("chocolate", "food", ("Dark Chocolate", "Milk Chocolate"), ("100 g",),
             ("cardboard",), ("brown", "maroon", "navy", "black")),
    ),
    "pouch": (
        Line("coffee", "beverage", ("Whole Bean Coffee", "Ground Coffee"), ("250 g", "12 oz"),
             ("paper",), ("kraft", "kraft", "kraft", "black")),
        Line("snack", "food", ("Sea Salt Crisps", "Popcorn"), ("150 g",),
             ("paper",), ("kraft", "kraft", "red", "olive")),
        Line("pet food", "pet", ("Dry Dog Food", "Cat Food"), ("2 kg",),
             ("paper",), ("kraft", "kraft", "green")),
        Line("protein powder", "supplement", ("Whey Protein", "Plant Protein"), ("1 kg",),
             ("paper",), ("kraft", "black", "white")),
    ),
    "tote": (
        Line("tote", "bags", ("Canvas Tote", "Market Tote"), ("",),
             ("canvas",), ("cream", "navy", "black", "olive")),
    ),
    "tube": (
        Line("sunscreen", "skincare", ("Sunscreen SPF 50", "Mineral Sunscreen"), ("50 ml",),
             ("plastic",), ("white", "yellow", "orange", "lightblue")),
        Line("cleanser", "skincare", ("Foaming Cleanser", "Gentle Face Wash"), ("150 ml",),
             ("plastic",), ("white", "teal", "pink", "lightblue")),
        Line("body lotion", "skincare", ("Body Lotion",), ("200 ml",),
             ("plastic",), ("white", "cream", "pink", "green")),
    ),
    "can": (
        Line("soda", "beverage", ("Sparkling Water", "Craft Cola"), ("330 ml", "12 FL OZ"),
             ("aluminum",), ("silver", "red", "lightblue", "yellow", "pink")),
        Line("energy drink", "beverage", ("Energy Drink",), ("250 ml", "500 ml"),
             ("aluminum",), ("black", "silver", "orange", "purple")),
        Line("beer", "beverage", ("Pale Ale", "Pilsner Lager"), ("440 ml",),
             ("aluminum",), ("navy", "green", "orange", "black")),
    ),
    "mug": (
        Line("mug", "home", ("Ceramic Mug", "Stoneware Mug"), ("",),
             ("ceramic",), ("white", "black", "navy", "red", "teal", "yellow", "gray")),
    ),
    "shoe": (
        Line("sneakers", "footwear", ("",), ("",),
             ("leather",), ("white", "black", "red", "navy", "gray", "orange")),
    ),
}  # fmt: skip
# How many of the set's products are of each kind (sums to PHOTOS).
_KIND_COUNTS: dict[Kind, int] = {
    "bottle": 20, "jar": 16, "box": 16, "pouch": 18, "tote": 8, "tube": 14, "can": 14,
    "mug": 14, "shoe": 12,
}  # fmt: skip
LAYOUTS = ("crest", "band", "line-forward", "signature", "left-aligned")


@dataclass(frozen=True)
class HeldOutProduct:
    """One catalog entry and its truth, as a merchant would correct it."""

    index: int
    kind: Kind
    brand_name: str
    product_name: str
    product_type: str
    category: str
    descriptor: str  # printed under the product line, names the type ("" for shoes and mugs)
    size_text: str
    body: Swatch  # the dominant color
    materials: tuple[str, ...]
    layout: str

    @property
    def colors(self) -> frozenset[str]:
        """The top color names a merchant would accept."""
        return self.body.acceptable


@cache
def catalog() -> tuple[HeldOutProduct, ...]:
    """The set's products, planned once from ``SEED``: brands recur, product lines do not."""
    rng = np.random.default_rng([SEED, 1])
    kinds: list[Kind] = [kind for kind, count in _KIND_COUNTS.items() for _ in range(count)]
    order = rng.permutation(len(kinds))
    pairs = [(a, b) for a in _LINE_FIRST for b in _LINE_SECOND if a != b]
    picks = rng.choice(len(pairs), size=len(kinds), replace=False)
    products = []
    for index, (slot, pick) in enumerate(zip(order, picks, strict=True)):
        kind = kinds[int(slot)]
        line = _KINDS[kind][int(rng.integers(len(_KINDS[kind])))]
        first, second = pairs[int(pick)]
        products.append(
            HeldOutProduct(
                index=index,
                kind=kind,
                brand_name=BRANDS[int(rng.integers(len(BRANDS)))],
                product_name=f"{first} {second}",
                product_type=line.product_type,
                category=line.category,
                descriptor=str(rng.choice(line.descriptors)),
                size_text=str(rng.choice(line.sizes)),
                body=SWATCHES[str(rng.choice(line.bodies))],
                materials=line.materials,
                layout=LAYOUTS[int(rng.integers(len(LAYOUTS)))],
            )
        )
    return tuple(products)


# --- The photo --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOutPhoto:
    product: HeldOutProduct
    image: npt.NDArray[np.uint8]  # RGB, (side, side, 3), as the camera file decodes
    alpha: Float  # true coverage of the product, [0, 1]
    background: Background
    white_on_white: bool  # a white product on a white sweep or a light gradient
    lighting: Lighting
    jpeg_quality: int | None  # None: saved losslessly
    native_side: int  # the side the photo was taken at (800 to 3000)

    @property
    def mask(self) -> npt.NDArray[np.bool_]:
        return self.alpha >= 0.5


@dataclass(frozen=True)
class _Capture:
    side: int
    background: Background
    lighting: Lighting
    jpeg_quality: int | None
    white_body: bool


def _capture(product: HeldOutProduct, rng: np.random.Generator) -> _Capture:
    side = int(rng.choice([800, 1024, 1024, 1600, 3000], p=[0.28, 0.26, 0.18, 0.16, 0.12]))
    if product.kind == "shoe":
        background: Background = "busy"
    else:
        background = BACKGROUND_KINDS[int(rng.choice(5, p=[0.34, 0.18, 0.14, 0.16, 0.18]))]
    lighting: Lighting = ("even", "low", "glare")[int(rng.choice(3, p=[0.55, 0.17, 0.28]))]
    quality = [60, 88, None][int(rng.choice(3, p=[0.45, 0.35, 0.2]))]
    return _Capture(side, background, lighting, quality, product.body.name == "white")


def make_photo(index: int, side: int | None = None) -> HeldOutPhoto:
    """Held-out photo ``index`` at its own size, or scaled to ``side`` (a faster, same scene)."""
    product = catalog()[index]
    rng = np.random.default_rng([SEED, 2, index])
    capture = _capture(product, rng)
    s = side or capture.side
    bg = _background(capture.background, s, rng)
    scene = _Scene(s, rng)
    _PRODUCT_DRAWERS[product.kind](scene, product, capture)
    img = scene.composite(bg, capture)
    out = np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)
    if capture.jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(out).save(buffer, format="JPEG", quality=capture.jpeg_quality)
        out = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")).copy()
    white_on_white = capture.white_body and capture.background in LIGHT_BACKGROUNDS
    return HeldOutPhoto(
        product=product,
        image=out,
        alpha=scene.alpha,
        background=capture.background,
        white_on_white=white_on_white,
        lighting=capture.lighting,
        jpeg_quality=capture.jpeg_quality,
        native_side=capture.side,
    )


def heldout_set(side: int | None = None) -> list[HeldOutPhoto]:
    return [make_photo(i, side) for i in range(PHOTOS)]


# --- Backgrounds ------------------------------------------------------------------------------


def _noise(s: int, cells: int, rng: np.random.Generator) -> Float:
    """Smooth value noise in about [-1, 1], ``cells`` cells across."""
    small = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    return np.asarray(cv2.resize(small, (s, s), interpolation=cv2.INTER_CUBIC), np.float32)


def _background(kind: Background, s: int, rng: np.random.Generator) -> Float:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    if kind == "white sweep":
        # The cyc's curve: a bright wall falling into a slightly darker floor, and a vignette.
        level = rng.uniform(0.94, 1.0)
        horizon = rng.uniform(0.55, 0.75)
        fall = 1.0 - 0.05 * np.clip((yy - horizon) / (1.0 - horizon), 0, 1)
        vignette = 1.0 - rng.uniform(0.0, 0.08) * ((xx - 0.5) ** 2 + (yy - 0.45) ** 2) * 2
        return np.repeat((level * fall * vignette)[..., None], 3, axis=2).astype(np.float32)
    if kind == "gradient":
        top = np.array([rng.uniform(0.8, 0.98) for _ in range(3)], np.float32)
        bottom = np.clip(top * rng.uniform(0.7, 0.92), 0, 1)
        t = np.clip(yy * rng.uniform(0.8, 1.2) + (xx - 0.5) * rng.uniform(-0.3, 0.3), 0, 1)
        return (top * (1 - t[..., None]) + bottom * t[..., None]).astype(np.float32)
    if kind == "colored":
        hsv = np.array(
            [[[rng.integers(0, 180), rng.integers(90, 220), rng.integers(120, 230)]]], np.uint8
        )
        base = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0
        light = 1.05 - 0.15 * np.hypot(xx - 0.4, yy - 0.3)
        return np.clip(base * light[..., None], 0, 1).astype(np.float32)
    if kind == "textured":
        return _texture(s, rng, xx, yy)
    return _busy(s, rng)


def _texture(s: int, rng: np.random.Generator, xx: Float, yy: Float) -> Float:
    pattern = int(rng.integers(3))
    if pattern == 0:  # wood: warped rings along the planks
        base = np.array([rng.uniform(0.55, 0.75), rng.uniform(0.38, 0.5), rng.uniform(0.22, 0.32)])
        warp = _noise(s, 6, rng) * 0.04
        rings = np.sin((yy + warp) * rng.uniform(60, 110) + _noise(s, 24, rng) * 0.6)
        plank = np.floor(xx * rng.integers(3, 6)) * 0.37 % 1.0
        shade = 0.85 + 0.1 * rings + 0.08 * (plank - 0.5)
    elif pattern == 1:  # linen: a fine weave
        base = np.array([rng.uniform(0.75, 0.9)] * 3) * np.array([1.0, 0.97, 0.9])
        period = s / rng.uniform(180, 260)
        weave = np.sin(xx * s / period * np.pi) * np.sin(yy * s / period * np.pi)
        shade = 0.95 + 0.05 * weave + 0.04 * _noise(s, 40, rng)
    else:  # concrete: several octaves of mottling and pits
        base = np.array([rng.uniform(0.55, 0.75)] * 3) * np.array([1.0, 0.99, 0.97])
        shade = 1.0 + 0.06 * _noise(s, 5, rng) + 0.04 * _noise(s, 30, rng)
        pits = rng.uniform(0, 1, (s, s)) < 0.002
        shade = shade - 0.2 * cv2.GaussianBlur(pits.astype(np.float32), (0, 0), 1.0)
    return np.clip(base.astype(np.float32) * shade[..., None], 0, 1).astype(np.float32)


def _busy(s: int, rng: np.random.Generator) -> Float:
    """A cluttered room: a wall of mixed objects out of focus above a table edge."""
    canvas = np.zeros((s, s, 3), np.uint8)
    wall = rng.integers(60, 200, 3)
    canvas[:] = wall
    for _ in range(int(rng.integers(25, 45))):
        color = tuple(int(c) for c in rng.integers(10, 250, 3))
        x, y = int(rng.integers(0, s)), int(rng.integers(0, s))
        r = int(s * rng.uniform(0.02, 0.14))
        shape = int(rng.integers(4))
        if shape == 0:
            cv2.rectangle(
                canvas, (x - r, y - r), (x + r, y + int(r * rng.uniform(0.5, 2))), color, -1
            )
        elif shape == 1:
            cv2.circle(canvas, (x, y), r, color, -1, cv2.LINE_AA)
        elif shape == 2:
            cv2.line(canvas, (x - 2 * r, y), (x + 2 * r, y + r), color, max(2, r // 6), cv2.LINE_AA)
        else:
            cv2.ellipse(canvas, (x, y), (r, r // 2), float(rng.uniform(0, 180)), 0, 360, color, -1)
    img = np.asarray(
        cv2.GaussianBlur(canvas.astype(np.float32) / 255.0, (0, 0), s * rng.uniform(0.002, 0.008)),
        np.float32,
    )
    table = int(s * rng.uniform(0.68, 0.82))
    top = np.array(rng.uniform(0.3, 0.8, 3), np.float32)
    grain = 1.0 + 0.05 * _noise(s, 50, rng)[table:, :, None]
    img[table:] = np.clip(top * grain, 0, 1)
    img[table : table + max(2, s // 300)] *= 0.6  # the table's edge
    return np.asarray(img, np.float32)


# --- The scene: parts drawn as anti-aliased polygons, then lit and captured ------------------


def _coverage(s: int, polys: list[npt.NDArray[np.float64]]) -> Float:
    # One polygon at a time: fillPoly given several fills their overlaps by the even-odd rule.
    out = np.zeros((s, s), np.float32)
    shift = 4
    for poly in polys:
        canvas = np.zeros((s, s), np.uint8)
        pts = np.round(np.asarray(poly) * (1 << shift)).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255, cv2.LINE_AA, shift)
        np.maximum(out, canvas.astype(np.float32) / 255.0, out=out)
    return out


def _ellipse(
    cx: float, cy: float, rx: float, ry: float, a0: float = 0, a1: float = 360
) -> npt.NDArray[np.float64]:
    t = np.deg2rad(np.linspace(a0, a1, 72))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _cylinder(cx: float, top: float, bottom: float, w: float, ry: float) -> npt.NDArray[np.float64]:
    """A cylinder's outline seen from a little above: elliptic top and bottom."""
    upper = _ellipse(cx, top, w / 2, ry, 180, 360)
    lower = _ellipse(cx, bottom, w / 2, ry, 0, 180)
    return np.concatenate([upper, lower])


@dataclass
class _Part:
    coverage: Float
    color: npt.NDArray[np.float32]
    shading: Literal["cylinder", "flat", "crumpled"]
    brightness: float = 1.0
    glossy: bool = False
    texture: Float | None = None


@dataclass
class _Print:
    rgba: Float  # (s, s, 4) already warped onto the scene
    on: int  # the part it is printed on (clipped to its coverage)


class _Scene:
    def __init__(self, side: int, rng: np.random.Generator) -> None:
        self.s = side
        self.rng = rng
        self.parts: list[_Part] = []
        self.prints: list[_Print] = []
        self.shadow = np.zeros((side, side), np.float32)
        self.glare_x: tuple[float, float] | None = None  # (x, width) of a cylinder's highlight
        self.alpha = np.zeros((side, side), np.float32)

    def part(
        self,
        polys: list[npt.NDArray[np.float64]],
        color: RGB | npt.NDArray[np.float32],
        shading: Literal["cylinder", "flat", "crumpled"] = "cylinder",
        **kw: object,
    ) -> int:
        cov = _coverage(self.s, polys)
        self.parts.append(_Part(cov, np.asarray(color, np.float32), shading, **kw))  # type: ignore[arg-type]
        return len(self.parts) - 1

    def cut(self, index: int, polys: list[npt.NDArray[np.float64]]) -> None:
        """Make a hole in a part (the inside of a handle or a strap)."""
        self.parts[index].coverage *= 1.0 - _coverage(self.s, polys)

    def contact_shadow(self, cx: float, y: float, w: float, strength: float) -> None:
        # Drawn and blurred at a quarter of the side or less: the shadow is soft anyway.
        k = max(1, self.s // 512)
        small = np.zeros((self.s // k, self.s // k), np.float32)
        axes = (max(1, int(w * 0.55 / k)), max(1, int(w * 0.07 / k)))
        cv2.ellipse(small, (int(cx / k), int(y / k)), axes, 0, 0, 360, 1.0, -1)
        soft = cv2.GaussianBlur(small, (0, 0), max(1.0, w * 0.06 / k))
        blob = np.asarray(
            cv2.resize(soft, (self.s, self.s), interpolation=cv2.INTER_LINEAR), np.float32
        )
        self.shadow = np.maximum(self.shadow, blob * strength)

    def composite(self, bg: Float, capture: _Capture) -> Float:
        s, rng = self.s, self.rng
        img = (bg * (1.0 - self.shadow)[..., None]).astype(np.float32)
        xs = np.arange(s, dtype=np.float32)
        light_dir = rng.uniform(-0.4, 0.4)
        for number, part in enumerate(self.parts):
            rows = np.nonzero(part.coverage.max(axis=1) > 0)[0]
            cols = np.nonzero(part.coverage.max(axis=0) > 0)[0]
            if cols.size == 0:
                continue
            # Everything below happens in the part's bounding box (a 3000 px photo stays fast).
            r0, r1 = max(0, int(rows[0]) - 1), min(s, int(rows[-1]) + 2)
            c0, c1 = max(0, int(cols[0]) - 1), min(s, int(cols[-1]) + 2)
            box = (slice(r0, r1), slice(c0, c1))
            cov = part.coverage[box]
            x0, x1 = float(cols[0]), float(cols[-1] + 1)
            bx = xs[c0:c1]
            t = np.clip((bx - x0) / max(x1 - x0, 1.0) * 2 - 1, -1, 1)
            shape = cov.shape
            if part.shading == "cylinder":
                across = 0.62 + 0.42 * np.sqrt(1 - t**2) * (1 + 0.25 * light_dir * t)
                shade = np.broadcast_to(across[None, :], shape)
            elif part.shading == "crumpled":
                shade = 0.9 + 0.08 * t[None, :] + 0.07 * _noise(s, 14, rng)[box]
            else:
                shade = np.broadcast_to((0.97 + 0.05 * light_dir * t)[None, :], shape)
            lit = (shade * part.brightness).astype(np.float32)
            surface = part.color[None, None, :] * lit[..., None]
            if part.texture is not None:
                surface = surface * (1.0 + part.texture[box])[..., None]
            for pr in self.prints:
                if pr.on == number:
                    ink = pr.rgba[box]
                    a = ink[..., 3:4]
                    surface = surface * (1 - a) + ink[..., :3] * lit[..., None] * a
            if part.glossy and self.glare_x is not None:
                gx, gw = self.glare_x
                stripe = np.exp(-(((bx - (x0 + gx * (x1 - x0))) / (gw * (x1 - x0))) ** 2))
                strength = 0.85 if capture.lighting == "glare" else 0.18
                surface = surface + strength * (1 - surface) * stripe[None, :, None]
            # A thin darker rim where the surface turns away from the camera.
            rim = cov - cv2.erode(cov, np.ones((3, 3), np.uint8))
            surface = surface * (1.0 - 0.12 * rim)[..., None]
            c3 = cov[..., None]
            img[box] = img[box] * (1 - c3) + np.clip(surface, 0, 1) * c3
            self.alpha[box] = self.alpha[box] + cov * (1 - self.alpha[box])
        if capture.lighting == "glare" and self.glare_x is None:
            # A flat product catches a soft window reflection across part of its face.
            cy, cx = rng.uniform(0.3, 0.6) * s, rng.uniform(0.35, 0.65) * s
            yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
            blob = np.exp(-(((xx - cx) + (yy - cy) * 0.6) ** 2) / (2 * (0.05 * s) ** 2))
            img = img + 0.7 * (1 - img) * (blob * self.alpha)[..., None]
        return self._expose(img, capture)

    def _expose(self, img: Float, capture: _Capture) -> Float:
        rng = self.rng
        if capture.lighting == "low":
            cast = np.array([1.0, rng.uniform(0.92, 1.0), rng.uniform(0.78, 0.95)], np.float32)
            dim = np.float32(rng.uniform(0.3, 0.45))
            img = (np.power(np.clip(img, 0, 1), np.float32(1.15)) * dim * cast).astype(np.float32)
            sigma = rng.uniform(5, 9) / 255.0
        else:
            sigma = rng.uniform(0.5, 3.0) / 255.0
        grain = rng.normal(0, 1, img.shape[:2]).astype(np.float32)
        return np.clip(img + sigma * grain[..., None], 0, 1).astype(np.float32)


# --- Labels: typeset flat, then wrapped onto the product --------------------------------------


def _ink_for(paper: RGB | None, body: RGB) -> tuple[int, int, int]:
    under = paper if paper is not None else body
    luminance = 0.3 * under[0] + 0.59 * under[1] + 0.11 * under[2]
    return (25, 22, 20) if luminance > 0.5 else (246, 244, 238)


def _fit(
    name: str, text: str, max_w: float, size: int, tracking: float = 0.0
) -> ImageFont.FreeTypeFont:
    while size > 6:
        font = _font(name, size)
        width = font.getlength(text) + tracking * size * max(len(text) - 1, 0)
        if width <= max_w:
            return font
        size = int(size * 0.92)
    return _font(name, 6)


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, ...],
    anchor: str = "ms",
    tracking: float = 0.0,
) -> None:
    """Text with optional letter spacing (``tracking`` in ems), anchored like PIL's."""
    if not tracking:
        draw.text(xy, text, font=font, fill=fill, anchor=anchor)
        return
    gap = tracking * font.size
    total = font.getlength(text) + gap * (len(text) - 1)
    x = xy[0] - (total / 2 if anchor[0] == "m" else total if anchor[0] == "r" else 0)
    for ch in text:
        draw.text((x, xy[1]), ch, font=font, fill=fill, anchor="l" + anchor[1])
        x += font.getlength(ch) + gap


def typeset(
    product: HeldOutProduct,
    w: int,
    h: int,
    rng: np.random.Generator,
    paper: RGB | None,
    accent: RGB,
) -> Float:
    """The flat label, RGBA in [0, 1]: brand and product line set as the layout sets them."""
    label = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(label)
    if paper is not None:
        draw.rectangle((0, 0, w, h), fill=(*(int(c * 255) for c in paper), 255))
    ink = (*_ink_for(paper, product.body.rgb), 255)
    acc = (*(int(c * 255) for c in accent), 255)
    brand, line = product.brand_name, product.product_name
    display = str(rng.choice(_DISPLAY))
    text_face = str(rng.choice(_TEXT))
    caps_line = rng.uniform() < 0.3
    line_text = line.upper() if caps_line else line
    m = w * 0.08  # side margin
    inner = w - 2 * m
    layout = product.layout
    lines_below: list[tuple[str, str, float]] = []  # (text, font, em of h)
    if product.descriptor:
        lines_below.append((product.descriptor, "sans", 0.075))
    if product.size_text:
        lines_below.append((product.size_text, "sans", 0.06))
    if layout == "crest":
        f = _fit(display, brand, inner, int(h * 0.2), 0.12)
        _text(draw, (w / 2, h * 0.3), brand, f, ink, tracking=0.12)
        draw.line((w * 0.3, h * 0.37, w * 0.7, h * 0.37), fill=acc, width=max(1, h // 90))
        f = _fit(text_face, line_text, inner, int(h * 0.13))
        _text(draw, (w / 2, h * 0.53), line_text, f, ink)
        y = h * 0.68
    elif layout == "band":
        draw.rectangle((0, 0, w, h * 0.34), fill=acc)
        band_ink = (*_ink_for(accent, accent), 255)
        f = _fit(display, brand, inner, int(h * 0.18), 0.06)
        _text(draw, (w / 2, h * 0.25), brand, f, band_ink, tracking=0.06)
        f = _fit(text_face, line_text, inner, int(h * 0.15))
        _text(draw, (w / 2, h * 0.54), line_text, f, ink)
        y = h * 0.7
    elif layout == "line-forward":
        f = _fit("sans", brand, inner, int(h * 0.09), 0.3)
        _text(draw, (w / 2, h * 0.17), brand, f, ink, tracking=0.3)
        f = _fit(display, line_text, inner, int(h * 0.22))
        _text(draw, (w / 2, h * 0.45), line_text, f, ink)
        y = h * 0.62
    elif layout == "signature":
        f = _fit(text_face, line_text, inner, int(h * 0.15))
        _text(draw, (w / 2, h * 0.22), line_text, f, ink)
        for text, face, em in lines_below[:1]:
            _text(draw, (w / 2, h * 0.36), text, _fit(face, text, inner, int(h * em)), ink)
        lines_below = lines_below[1:]
        draw.line((w * 0.25, h * 0.5, w * 0.75, h * 0.5), fill=acc, width=max(1, h // 80))
        f = _fit(display, brand, inner, int(h * 0.17), 0.05)
        _text(draw, (w / 2, h * 0.7), brand, f, ink, tracking=0.05)
        y = h * 0.86
    else:  # left-aligned, with an accent bar
        draw.rectangle((m * 0.4, h * 0.1, m * 0.7, h * 0.62), fill=acc)
        f = _fit(display, brand, inner, int(h * 0.17))
        _text(draw, (m, h * 0.27), brand, f, ink, anchor="ls")
        f = _fit(text_face, line_text, inner, int(h * 0.12))
        _text(draw, (m, h * 0.45), line_text, f, ink, anchor="ls")
        y = h * 0.6
    for text, face, em in lines_below:
        f = _fit(face, text, inner, int(h * em))
        y += h * em * 1.1
        _text(draw, (w / 2, min(y, h * 0.97)), text, f, ink)
    return np.asarray(label, np.float32) / 255.0


def _print_direct(product: HeldOutProduct, w: int, h: int, rng: np.random.Generator) -> Float:
    """Brand large and the line below, printed straight on a mug, tote or shoe."""
    label = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(label)
    ink = (*_ink_for(None, product.body.rgb), 255)
    brand, line = product.brand_name, product.product_name
    f = _fit(str(rng.choice(_DISPLAY)), brand, w * 0.9, int(h * 0.42), 0.04)
    _text(draw, (w / 2, h * 0.5), brand, f, ink, tracking=0.04)
    f = _fit(str(rng.choice(_TEXT)), line, w * 0.8, int(h * 0.26))
    _text(draw, (w / 2, h * 0.88), line, f, ink)
    return np.asarray(label, np.float32) / 255.0


def _wrap_cylinder(
    label: Float, s: int, cx: float, r: float, y0: float, y1: float, half_angle: float, bow: float
) -> Float:
    """The flat label wrapped round a vertical cylinder (axis ``cx``, radius ``r``), its
    horizontal lines bowing by ``bow`` px at the front as seen from slightly above."""
    h_l, w_l = label.shape[:2]
    out = np.zeros((s, s, 4), np.float32)
    # Only the band the label can land on is mapped.
    r0, r1 = max(0, int(y0 - 2)), min(s, int(y1 + abs(bow) + 3))
    c0, c1 = max(0, int(cx - r - 2)), min(s, int(cx + r + 3))
    if r1 <= r0 or c1 <= c0:
        return out
    ys, xs = np.mgrid[r0:r1, c0:c1].astype(np.float32)
    sin = (xs - np.float32(cx)) / np.float32(max(r, 1.0))
    theta = np.arcsin(np.clip(sin, -1, 1))
    u = (theta + np.float32(half_angle)) / np.float32(2 * half_angle) * np.float32(w_l)
    v = (ys - np.float32(y0) - np.float32(bow) * np.cos(theta)) / np.float32(max(y1 - y0, 1.0))
    v = v * np.float32(h_l)
    outside = (np.abs(sin) > 1) | (np.abs(theta) > half_angle)
    u[outside] = -10
    out[r0:r1, c0:c1] = cv2.remap(
        label,
        u.astype(np.float32),
        v.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    return out


def _wrap_quad(label: Float, s: int, quad: npt.NDArray[np.float64]) -> Float:
    """The flat label in perspective onto the quadrilateral ``quad`` (tl, tr, br, bl)."""
    h_l, w_l = label.shape[:2]
    src = np.array([[0, 0], [w_l, 0], [w_l, h_l], [0, h_l]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, np.asarray(quad, np.float32))
    warped = cv2.warpPerspective(
        label,
        matrix,
        (s, s),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    return np.asarray(warped, np.float32)


def _accent(rng: np.random.Generator, body: Swatch) -> RGB:
    choices = [
        sw for sw in SWATCHES.values() if sw.name not in body.acceptable and sw.name != body.name
    ]
    return choices[int(rng.integers(len(choices)))].rgb


def _paper(rng: np.random.Generator, body: Swatch) -> RGB | None:
    """The label's paper, or None when the label is printed straight on the body."""
    if rng.uniform() < 0.45:
        return None
    whites = ["white", "cream", "black"]
    options = [SWATCHES[n].rgb for n in whites if n != body.name and n not in body.acceptable]
    return options[int(rng.integers(len(options)))]


def _frame(scene: _Scene, height: float, width: float) -> tuple[float, float, float]:
    """Where the product stands: centre x, base y and its height in pixels."""
    s, rng = scene.s, scene.rng
    h = s * height * rng.uniform(0.85, 1.1)
    room = max(0.0, (s - h * width) / 2 - s * 0.06)
    cx = s / 2 + rng.uniform(-1, 1) * min(room, s * 0.12)
    base = s * rng.uniform(0.8, 0.9)
    return cx, base, h


# --- Products ---------------------------------------------------------------------------------


def _draw_bottle(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    rng, s = scene.rng, scene.s
    ratio = rng.uniform(0.3, 0.4)
    cx, base, h = _frame(scene, 0.66, ratio)
    w = h * ratio
    ry = w * 0.07
    shoulder = base - h * 0.66
    neck_w = w * rng.uniform(0.3, 0.4)
    cap = SWATCHES[str(rng.choice(["black", "silver", "white", "yellow"]))].rgb
    scene.contact_shadow(cx, base, w, 0.5)
    body = scene.part([_cylinder(cx, shoulder, base, w, ry)], p.body.rgb, glossy=True)
    curve = np.array(
        [
            (cx - w / 2, shoulder + 1),
            (cx - neck_w / 2, base - h * 0.8),
            (cx + neck_w / 2, base - h * 0.8),
            (cx + w / 2, shoulder + 1),
        ]
    )
    bulge = _ellipse(cx, shoulder, w / 2, h * 0.1, 180, 360)
    scene.parts[body].coverage = np.maximum(
        scene.parts[body].coverage, _coverage(s, [bulge, curve])
    )
    scene.part(
        [_cylinder(cx, base - h * 0.9, base - h * 0.78, neck_w, ry * 0.3)], p.body.rgb, glossy=True
    )
    scene.part(
        [_cylinder(cx, base - h, base - h * 0.88, neck_w * 1.15, ry * 0.35)], cap, brightness=0.95
    )
    y0, y1 = base - h * 0.56, base - h * 0.1
    half = np.deg2rad(rng.uniform(55, 75))
    label = typeset(p, int(w * half), int(y1 - y0), rng, _paper(rng, p.body), _accent(rng, p.body))
    scene.prints.append(_Print(_wrap_cylinder(label, s, cx, w / 2, y0, y1, half, ry), body))
    scene.glare_x = (rng.uniform(0.22, 0.36), rng.uniform(0.03, 0.06))


def _draw_jar(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    rng, s = scene.rng, scene.s
    ratio = rng.uniform(0.95, 1.25)
    cx, base, h = _frame(scene, 0.42, ratio)
    w = h * ratio
    ry = w * 0.08
    lid_h = h * rng.uniform(0.18, 0.24)
    lid = SWATCHES[str(rng.choice(["black", "silver", "white", "brown", "yellow"]))].rgb
    scene.contact_shadow(cx, base, w, 0.5)
    body = scene.part([_cylinder(cx, base - h + lid_h, base, w, ry)], p.body.rgb, glossy=True)
    scene.part([_cylinder(cx, base - h, base - h + lid_h, w * 0.94, ry)], lid, brightness=0.92)
    y0, y1 = base - h * 0.62, base - h * 0.12
    half = np.deg2rad(rng.uniform(60, 75))
    label = typeset(p, int(w * half), int(y1 - y0), rng, _paper(rng, p.body), _accent(rng, p.body))
    scene.prints.append(_Print(_wrap_cylinder(label, s, cx, w / 2, y0, y1, half, ry), body))
    scene.glare_x = (rng.uniform(0.2, 0.35), rng.uniform(0.03, 0.05))


def _project(
    points: npt.NDArray[np.float64], yaw: float, pitch: float, f: float
) -> npt.NDArray[np.float64]:
    c, sn = math.cos(yaw), math.sin(yaw)
    rot_y = np.array([[c, 0, sn], [0, 1, 0], [-sn, 0, c]])
    c, sn = math.cos(pitch), math.sin(pitch)
    rot_x = np.array([[1, 0, 0], [0, c, -sn], [0, sn, c]])
    cam = points @ rot_y.T @ rot_x.T
    z = cam[:, 2] + f
    return np.stack([cam[:, 0] * f / z, cam[:, 1] * f / z], axis=1)


def _place(
    pts: npt.NDArray[np.float64], cx: float, base: float, h: float
) -> npt.NDArray[np.float64]:
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scale = h / (hi[1] - lo[1])
    return np.stack(
        [cx + (pts[:, 0] - (lo[0] + hi[0]) / 2) * scale, base - (hi[1] - pts[:, 1]) * scale], axis=1
    )


def _draw_box(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A carton in perspective: the front, one side and the top visible."""
    rng, s = scene.rng, scene.s
    bw, bh, bd = rng.uniform(0.6, 0.9), 1.0, rng.uniform(0.25, 0.45)
    yaw = np.deg2rad(rng.uniform(12, 32)) * rng.choice([-1, 1])
    pitch = np.deg2rad(rng.uniform(10, 22))  # looking down onto the top
    x, y, z = bw / 2, bh / 2, bd / 2
    corners = np.array(
        [
            [-x, -y, -z],
            [x, -y, -z],
            [x, y, -z],
            [-x, y, -z],
            [-x, -y, z],
            [x, -y, z],
            [x, y, z],
            [-x, y, z],
        ]
    )
    flat = _project(corners, float(yaw), float(pitch), 4.0)
    cx, base, h = _frame(scene, 0.6, bw)
    pts = _place(flat, cx, base, h)
    front = pts[[0, 1, 2, 3]]
    side = pts[[1, 5, 6, 2]] if yaw > 0 else pts[[4, 0, 3, 7]]
    top = pts[[4, 5, 1, 0]]
    scene.contact_shadow(cx, base, float(np.ptp(pts[:, 0])), 0.45)
    front_i = scene.part([front], p.body.rgb, "flat")
    scene.part([side], p.body.rgb, "flat", brightness=0.72)
    scene.part([top], p.body.rgb, "flat", brightness=1.08)
    lw = int(np.linalg.norm(front[1] - front[0]))
    lh = int(np.linalg.norm(front[3] - front[0]))
    label = typeset(p, lw, lh, rng, None, _accent(rng, p.body))
    scene.prints.append(_Print(_wrap_quad(label, s, front), front_i))


def _draw_pouch(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A stand-up pouch: serrated top seal, a tear notch, a sticker label, kraft fibres."""
    rng, s = scene.rng, scene.s
    ratio = rng.uniform(0.62, 0.78)
    cx, base, h = _frame(scene, 0.62, ratio)
    w = h * ratio
    top = base - h
    teeth = 24
    outline = [
        (cx - w / 2 + w * i / teeth, top + (h * 0.008 if i % 2 else 0.0)) for i in range(teeth + 1)
    ]
    notch_y = top + h * 0.1
    outline += [
        (cx + w / 2, notch_y - h * 0.01),
        (cx + w / 2 - w * 0.025, notch_y),
        (cx + w / 2, notch_y + h * 0.01),
    ]
    outline += [(cx + w * 0.53, base - h * 0.5), (cx + w * 0.5, base - h * 0.06)]
    outline += [
        tuple(pt) for pt in _ellipse(cx + w * 0.44, base - h * 0.06, w * 0.06, h * 0.06, 0, 90)
    ]
    outline += [
        tuple(pt) for pt in _ellipse(cx - w * 0.44, base - h * 0.06, w * 0.06, h * 0.06, 90, 180)
    ]
    outline += [(cx - w * 0.5, base - h * 0.06), (cx - w * 0.53, base - h * 0.5), (cx - w / 2, top)]
    poly = np.array(outline, np.float64)
    # A slight turn of the pouch: a perspective squeeze of one side.
    lean = rng.uniform(-0.06, 0.06)
    poly[:, 1] += (poly[:, 0] - cx) / w * lean * h * (poly[:, 1] - base) / h
    texture = None
    if p.body.name == "kraft":
        fibres = cv2.GaussianBlur(rng.normal(0, 1, (s, s)).astype(np.float32), (0, 0), 0.7)
        fibres = cv2.blur(fibres, (max(1, s // 150), 1))
        texture = 0.05 * fibres / max(float(fibres.std()), 1e-6)
    body = scene.part([poly], p.body.rgb, "crumpled", texture=texture)
    scene.part(
        [
            np.array(
                [
                    (cx - w / 2, top + h * 0.01),
                    (cx + w / 2, top + h * 0.01),
                    (cx + w / 2, top + h * 0.07),
                    (cx - w / 2, top + h * 0.07),
                ]
            )
        ],
        p.body.rgb,
        "flat",
        brightness=0.85,
        texture=texture,
    )
    scene.contact_shadow(cx, base, w, 0.45)
    lw, lh = w * rng.uniform(0.62, 0.74), h * rng.uniform(0.34, 0.42)
    ly = base - h * rng.uniform(0.5, 0.6)
    quad = np.array(
        [
            (cx - lw / 2, ly - lh / 2),
            (cx + lw / 2, ly - lh / 2),
            (cx + lw / 2, ly + lh / 2),
            (cx - lw / 2, ly + lh / 2),
        ]
    )
    quad[:, 1] += (quad[:, 0] - cx) / w * lean * h * (quad[:, 1] - base) / h
    paper = SWATCHES[str(rng.choice(["white", "cream", "black"]))].rgb
    if p.body.name in ("white", "black"):
        paper = SWATCHES["cream" if p.body.name == "black" else "kraft"].rgb
    label = typeset(p, int(lw), int(lh), rng, paper, _accent(rng, p.body))
    scene.prints.append(_Print(_wrap_quad(label, s, quad), body))


def _draw_tote(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A canvas tote with two strap loops: the background shows through each loop."""
    rng, s = scene.rng, scene.s
    cx, base, h = _frame(scene, 0.72, 0.8)
    w = h * rng.uniform(0.72, 0.85)
    bag_top = base - h * 0.62
    weave = cv2.GaussianBlur(rng.normal(0, 1, (s, s)).astype(np.float32), (0, 0), 0.6)
    texture = 0.04 * weave / max(float(weave.std()), 1e-6)
    body = scene.part(
        [
            np.array(
                [
                    (cx - w * 0.46, bag_top),
                    (cx + w * 0.46, bag_top),
                    (cx + w / 2, base),
                    (cx - w / 2, base),
                ]
            )
        ],
        p.body.rgb,
        "crumpled",
        texture=texture,
    )
    strap_w = w * 0.05
    for side in (-1, 1):
        sx = cx + side * w * 0.16
        rx, ryy = w * 0.13, h * 0.36
        outer = _ellipse(sx, bag_top + 2, rx + strap_w / 2, ryy + strap_w / 2, 180, 360)
        inner = _ellipse(sx, bag_top + 2, rx - strap_w / 2, ryy - strap_w / 2, 180, 360)
        strap = scene.part(
            [outer], p.body.rgb, "flat", brightness=0.9 - 0.05 * side, texture=texture
        )
        scene.cut(strap, [inner])
    scene.contact_shadow(cx, base, w, 0.35)
    lw, lh = w * 0.7, h * 0.22
    label = _print_direct(p, int(lw), int(lh), rng)
    y = base - h * rng.uniform(0.38, 0.45)
    quad = np.array(
        [
            (cx - lw / 2, y - lh / 2),
            (cx + lw / 2, y - lh / 2),
            (cx + lw / 2, y + lh / 2),
            (cx - lw / 2, y + lh / 2),
        ]
    )
    scene.prints.append(_Print(_wrap_quad(label, s, quad), body))


def _draw_tube(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A squeeze tube standing on its cap, the crimped seal at the top."""
    rng, s = scene.rng, scene.s
    ratio = rng.uniform(0.3, 0.38)
    cx, base, h = _frame(scene, 0.7, ratio)
    w = h * ratio
    cap_h = h * 0.12
    cap = SWATCHES[str(rng.choice(["white", "black", "silver", "navy"]))].rgb
    scene.contact_shadow(cx, base, w * 0.6, 0.5)
    scene.part([_cylinder(cx, base - cap_h, base, w * 0.5, w * 0.04)], cap, brightness=0.95)
    left = [
        (cx - w * 0.25 - w * 0.25 * t**0.7, base - cap_h - t * (h - cap_h - h * 0.06))
        for t in np.linspace(0, 1, 20)
    ]
    outline = [
        *left,
        (cx - w / 2, base - h),
        (cx + w / 2, base - h),
        *[(2 * cx - x, y) for x, y in reversed(left)],
    ]
    body = scene.part([np.array(outline)], p.body.rgb, glossy=True)
    crimp = np.array(
        [
            (cx - w / 2, base - h),
            (cx + w / 2, base - h),
            (cx + w / 2, base - h * 0.93),
            (cx - w / 2, base - h * 0.93),
        ]
    )
    ridges = np.zeros((s, s), np.float32)
    count = int(rng.integers(12, 20))
    for k in range(count):
        x = cx - w / 2 + w * (k + 0.5) / count
        cv2.line(
            ridges, (int(x), int(base - h)), (int(x), int(base - h * 0.93)), 0.15, max(1, s // 600)
        )
    scene.part([crimp], p.body.rgb, "flat", brightness=0.9, texture=-ridges)
    y0, y1 = base - h * 0.78, base - h * 0.28
    half = np.deg2rad(rng.uniform(45, 60))
    label = typeset(p, int(w * 0.8 * half), int(y1 - y0), rng, None, _accent(rng, p.body))
    scene.prints.append(
        _Print(_wrap_cylinder(label, s, cx, w * 0.42, y0, y1, half, w * 0.03), body)
    )
    scene.glare_x = (rng.uniform(0.25, 0.4), rng.uniform(0.04, 0.07))


def _draw_can(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    rng, s = scene.rng, scene.s
    ratio = rng.uniform(0.52, 0.62)
    cx, base, h = _frame(scene, 0.6, ratio)
    w = h * ratio
    ry = w * 0.08
    metal = SWATCHES["silver"].rgb
    scene.contact_shadow(cx, base, w, 0.5)
    body = scene.part(
        [_cylinder(cx, base - h * 0.92, base - h * 0.03, w, ry)], p.body.rgb, glossy=True
    )
    scene.part([_cylinder(cx, base - h * 0.03, base, w * 0.9, ry * 0.9)], metal, brightness=0.8)
    scene.part([_cylinder(cx, base - h, base - h * 0.92, w * 0.9, ry * 0.9)], metal, glossy=True)
    scene.part([_ellipse(cx, base - h, w * 0.45, ry * 0.9)], metal, "flat", brightness=1.05)
    y0, y1 = base - h * 0.82, base - h * 0.14
    half = np.deg2rad(rng.uniform(65, 80))
    label = typeset(p, int(w * half), int(y1 - y0), rng, None, _accent(rng, p.body))
    scene.prints.append(_Print(_wrap_cylinder(label, s, cx, w / 2, y0, y1, half, ry), body))
    scene.glare_x = (rng.uniform(0.2, 0.35), rng.uniform(0.03, 0.05))


def _draw_mug(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A mug with a handle whose inside shows the background (a hole in the mask)."""
    rng, s = scene.rng, scene.s
    cx, base, h = _frame(scene, 0.46, 1.4)
    w = h * rng.uniform(0.8, 0.95)
    ry = w * 0.09
    side = float(rng.choice([-1, 1]))
    scene.contact_shadow(cx, base, w * 1.2, 0.5)
    hx, hy = cx + side * w * 0.48, base - h * 0.52
    handle = scene.part(
        [_ellipse(hx, hy, w * 0.26, h * 0.3)], p.body.rgb, glossy=True, brightness=0.9
    )
    scene.cut(handle, [_ellipse(hx + side * w * 0.02, hy, w * 0.15, h * 0.19)])
    scene.cut(
        handle,
        [
            np.array(
                [
                    (cx - w / 2 + 1, base - h),
                    (cx + w / 2 - 1, base - h),
                    (cx + w / 2 - 1, base),
                    (cx - w / 2 + 1, base),
                ]
            )
        ],
    )
    body = scene.part([_cylinder(cx, base - h, base, w, ry)], p.body.rgb, glossy=True)
    inside = np.asarray(p.body.rgb, np.float32) * 0.55
    scene.part([_ellipse(cx, base - h, w / 2 * 0.92, ry * 0.8)], inside, "flat")
    y0, y1 = base - h * 0.7, base - h * 0.25
    half = np.deg2rad(rng.uniform(45, 60))
    label = _print_direct(p, int(w * half), int(y1 - y0), rng)
    scene.prints.append(_Print(_wrap_cylinder(label, s, cx, w / 2, y0, y1, half, ry), body))
    scene.glare_x = (rng.uniform(0.2, 0.35), rng.uniform(0.03, 0.05))


def _draw_shoe(scene: _Scene, p: HeldOutProduct, capture: _Capture) -> None:
    """A sneaker in profile on a busy scene: sole, upper, laces, brand on the quarter panel."""
    rng, s = scene.rng, scene.s
    cx, base, h = _frame(scene, 0.26, 3.0)
    w = h * rng.uniform(2.6, 3.0)
    face = float(rng.choice([-1, 1]))  # which way the toe points
    x0 = cx - w / 2

    def pt(u: float, v: float) -> tuple[float, float]:
        u = u if face > 0 else 1 - u
        return (x0 + u * w, base - v * h)

    sole_color = SWATCHES["white" if p.body.name != "white" else "gray"].rgb
    upper = [
        pt(0.02, 0.18),
        pt(0.0, 0.6),
        pt(0.04, 0.92),
        pt(0.16, 1.0),
        pt(0.3, 0.86),
        pt(0.4, 0.9),
        pt(0.52, 0.74),
        pt(0.72, 0.55),
        pt(0.9, 0.42),
        pt(1.0, 0.3),
        pt(0.99, 0.18),
    ]
    scene.contact_shadow(cx, base, w, 0.45)
    upper_i = scene.part([np.array(upper)], p.body.rgb, "flat")
    sole = [
        pt(0.0, 0.22),
        pt(1.0, 0.22),
        pt(1.0, 0.08),
        pt(0.96, 0.0),
        pt(0.03, 0.0),
        pt(0.0, 0.06),
    ]
    scene.part([np.array(sole)], sole_color, "flat", brightness=0.95)
    lace = np.zeros((s, s), np.float32)
    for k in range(5):
        a, b = pt(0.42 + k * 0.06, 0.86 - k * 0.06), pt(0.46 + k * 0.06, 0.8 - k * 0.06)
        cv2.line(
            lace,
            (int(a[0]), int(a[1])),
            (int(b[0]), int(b[1])),
            0.4,
            max(1, int(h * 0.03)),
            cv2.LINE_AA,
        )
    scene.parts[upper_i].texture = -lace
    lw, lh = w * 0.36, h * 0.3
    label = _print_direct(p, int(lw), int(lh), rng)
    a = pt(0.12 if face > 0 else 0.48, 0.55)
    quad = np.array(
        [
            (a[0], a[1] - lh / 2),
            (a[0] + lw, a[1] - lh / 2 + h * 0.04),
            (a[0] + lw, a[1] + lh / 2 + h * 0.04),
            (a[0], a[1] + lh / 2),
        ]
    )
    scene.prints.append(_Print(_wrap_quad(label, s, quad), upper_i))


_PRODUCT_DRAWERS = {
    "bottle": _draw_bottle,
    "jar": _draw_jar,
    "box": _draw_box,
    "pouch": _draw_pouch,
    "tote": _draw_tote,
    "tube": _draw_tube,
    "can": _draw_can,
    "mug": _draw_mug,
    "shoe": _draw_shoe,
}
