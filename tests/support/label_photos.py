"""Labelled packaged-product photos for tuning brand vs product line (issue 12).

A tuning set, not the held-out one: it is built from our own idea of a shop's catalog and is
tuned against. Every photo is a pure function of its index and ``SEED``. The products come from a
small catalog of accounts (shops); each account sells a few brands and each brand several product
lines, so a brand recurs across an account's products while a product line does not, as in a real
catalog. Labels carry what real packaging carries: the brand, the product line, a descriptor
("Hydrating Serum", "Whole Bean Coffee"), a size ("30 ml", "12 oz"), claims ("NEW", "Vegan"), in
varied layouts (brand large on top, brand small and tracked above a large product line, brand at
the bottom, "by Brand" lines), set in the tuning set's fonts (``TUNING_FONTS``: DejaVu, Lato,
Open Sans, Carlito; the held-out set uses other families), regular and bold, at several sizes.

Truth per photo: ``brand_name`` in the brand's own spelling, ``product_name`` (the product line,
as the generated name "{productName} by {brandName}" uses it), ``product_type`` and ``category``
from the published taxonomy, the palette color names acceptable for the product's body, and its
materials.

Casing, as a merchant would enter it: a brand's own spelling is kept ("bareSkin", "DermaLuxe",
"ORA"); a brand whose spelling is a word ("Nordvik") may be set in capitals on the label
("NORDVIK") and is still "Nordvik". All-caps own spellings are acronyms of at most three letters,
so an all-caps label word longer than that is a styled word, not an acronym.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from krev.engines.studio.colors import MERCHANT_PALETTE
from tests.support.color_truth import accepted_colors

SEED = 1212
PHOTOS = 144
FONT_DIR = Path("/usr/share/fonts/truetype")
# Debian packages: fonts-dejavu-core, fonts-lato, fonts-open-sans, fonts-crosextra-carlito
# (`make setup-fonts` installs them). Family -> (regular, bold).
TUNING_FONTS: dict[str, tuple[str, str]] = {
    "dejavu-sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "dejavu-serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "dejavu-condensed": ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    "lato": ("lato/Lato-Regular.ttf", "lato/Lato-Black.ttf"),
    "lato-light": ("lato/Lato-Light.ttf", "lato/Lato-Bold.ttf"),
    "open-sans": ("open-sans/OpenSans-Regular.ttf", "open-sans/OpenSans-Bold.ttf"),
    "open-sans-cond": ("open-sans/OpenSans-CondLight.ttf", "open-sans/OpenSans-CondBold.ttf"),
    "carlito": ("crosextra/Carlito-Regular.ttf", "crosextra/Carlito-Bold.ttf"),
}

Container = Literal["bottle", "dropper", "pump", "jar", "tub", "tube", "box", "pouch", "can"]
Layout = Literal[
    "brand-top",  # brand large on top, product line below, descriptor, size
    "brand-small-top",  # brand small (often tracked capitals) above a large product line
    "brand-bottom",  # product line large on top, descriptor, brand at the bottom
    "by-brand",  # product line large, "by Brand" small beneath
    "logo-line",  # brand as a logo in its own case, product line close to it in size
]
LAYOUTS: tuple[Layout, ...] = (
    "brand-top",
    "brand-small-top",
    "brand-bottom",
    "by-brand",
    "logo-line",
)

_SUPERSAMPLE = 2
FloatImage = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Brand:
    name: str  # the brand's own spelling, what a merchant types
    caps_on_label: bool  # set in capitals on its labels ("Nordvik" printed NORDVIK)


@dataclass(frozen=True)
class Line:
    """A product line: its name, the descriptor its label carries, what it is and comes in."""

    name: str
    descriptor: str
    product_type: str
    category: str
    containers: tuple[Container, ...]
    sizes: tuple[str, ...]


# Product lines by what a brand sells. Several lines are made of ordinary words, some of them
# descriptor words ("Night Repair", "Dark Roast", "Super Greens"): a brand cannot be told from
# its product line by the words alone.
_SKINCARE = (
    Line(
        "Night Repair", "Hydrating Serum", "serum", "skincare", ("dropper",), ("30 ml", "1 fl oz")
    ),
    Line("Day Shift", "Brightening Serum", "serum", "skincare", ("dropper",), ("30 ml",)),
    Line("Glow Theory", "Niacinamide Serum", "serum", "skincare", ("dropper",), ("15 ml", "30 ml")),
    Line(
        "Cloud Cream", "Daily Moisturizer", "moisturizer", "skincare", ("jar", "tube"), ("50 ml",)
    ),
    Line(
        "Barrier Fix", "Rich Face Cream", "moisturizer", "skincare", ("jar",), ("50 ml", "1.7 oz")
    ),
    Line("Morning Dew", "Gentle Cleanser", "cleanser", "skincare", ("pump", "tube"), ("150 ml",)),
    Line("Clear Reset", "Balancing Toner", "toner", "skincare", ("bottle",), ("200 ml",)),
    Line("Sun Veil", "Mineral Sunscreen SPF 50", "sunscreen", "skincare", ("tube",), ("75 ml",)),
    Line("Velvet Touch", "Body Lotion", "body lotion", "skincare", ("pump", "tube"), ("250 ml",)),
    Line("Deep Calm", "Clay Mask", "face mask", "skincare", ("jar", "tube"), ("100 ml",)),
)
_COFFEE_TEA = (
    Line("Dark Roast", "Whole Bean Coffee", "coffee", "beverage", ("pouch",), ("12 oz", "340 g")),
    Line("Morning Ritual", "Ground Coffee", "coffee", "beverage", ("pouch",), ("250 g",)),
    Line("Night Owl", "Espresso Beans", "coffee", "beverage", ("pouch",), ("1 kg", "500 g")),
    Line(
        "Sunrise Blend", "Medium Roast Coffee", "coffee", "beverage", ("pouch", "can"), ("12 oz",)
    ),
    Line("Calm Hour", "Herbal Tea", "tea", "beverage", ("box",), ("20 tea bags",)),
    Line("Jade Garden", "Organic Green Tea", "tea", "beverage", ("box", "can"), ("100 g",)),
    Line("Earl Grey Supreme", "Black Tea", "tea", "beverage", ("box",), ("25 tea bags",)),
    Line("Cold Start", "Cold Brew Coffee", "coffee", "beverage", ("can",), ("11 fl oz",)),
)
_SUPPLEMENTS = (
    Line(
        "Super Greens",
        "Whey Protein Blend",
        "protein powder",
        "supplement",
        ("tub", "pouch"),
        ("1 lb", "454 g"),
    ),
    Line("Pure Whey", "Whey Protein Isolate", "protein powder", "supplement", ("tub",), ("2 lb",)),
    Line(
        "Deep Sleep",
        "Magnesium Capsules",
        "capsules",
        "supplement",
        ("bottle", "jar"),
        ("60 capsules", "90 capsules"),
    ),
    Line(
        "Daily Shield", "Multivitamin", "vitamins", "supplement", ("bottle", "jar"), ("60 tablets",)
    ),
    Line(
        "Gut Balance",
        "Probiotic 50 Billion CFU",
        "probiotic",
        "supplement",
        ("bottle",),
        ("30 capsules",),
    ),
    Line(
        "Ocean Omega",
        "Fish Oil Softgels",
        "omega-3",
        "supplement",
        ("bottle", "jar"),
        ("120 softgels",),
    ),
    Line("Skin Glow", "Collagen Peptides", "collagen", "supplement", ("pouch", "tub"), ("300 g",)),
    Line("Ignite", "Pre-Workout", "pre-workout", "supplement", ("tub",), ("30 servings",)),
)
_FOOD = (
    Line("Honey Crunch", "Granola", "cereal", "food", ("pouch", "box"), ("350 g", "12 oz")),
    Line("Wild Bloom", "Raw Honey", "spread", "food", ("jar",), ("340 g",)),
    Line("Sea Salt", "Dark Chocolate", "chocolate", "food", ("box",), ("100 g", "3.5 oz")),
    Line("Smoky Chipotle", "Hot Sauce", "sauce", "food", ("bottle",), ("5 fl oz",)),
    Line("Golden Harvest", "Extra Virgin Olive Oil", "olive oil", "food", ("bottle",), ("500 ml",)),
    Line("Super Crunchy", "Peanut Butter", "spread", "food", ("jar",), ("16 oz",)),
    Line("Trail Mix", "Protein Bar", "bar", "food", ("box",), ("12 bars",)),
)
_HAIR_BEAUTY = (
    Line("Silk Rescue", "Repair Shampoo", "shampoo", "beauty", ("pump", "bottle"), ("300 ml",)),
    Line("Moisture Lock", "Conditioner", "shampoo", "beauty", ("bottle", "tube"), ("250 ml",)),
    Line("Rose Petal", "Tinted Lip Balm", "lipstick", "beauty", ("tube",), ("4.5 g",)),
    Line("Midnight Bloom", "Eau de Parfum", "fragrance", "beauty", ("bottle",), ("50 ml",)),
)
_HOME = (
    Line("Cedar & Smoke", "Scented Candle", "candle", "home", ("jar",), ("8 oz", "220 g")),
    Line("Lemon Fresh", "Dish Soap", "cleaning", "home", ("pump", "bottle"), ("500 ml",)),
    Line("Linen Breeze", "Reed Diffuser", "diffuser", "home", ("bottle",), ("100 ml",)),
    Line("Fig Leaf", "Soy Wax Candle", "candle", "home", ("jar", "can"), ("6 oz",)),
)
_PET = (
    Line("Salmon Feast", "Cat Food", "pet food", "pet", ("can", "pouch"), ("3 oz", "85 g")),
    Line("Chicken Bites", "Dog Treats", "pet food", "pet", ("pouch",), ("8 oz",)),
    Line("Lamb & Rice", "Dog Food", "pet food", "pet", ("pouch",), ("4 lb",)),
)
_DRINKS = (
    Line("Blood Orange", "Sparkling Water", "soda", "beverage", ("can",), ("12 fl oz", "355 ml")),
    Line("Green Machine", "Cold-Pressed Juice", "juice", "beverage", ("bottle",), ("16 fl oz",)),
    Line("Volt", "Energy Drink", "energy drink", "beverage", ("can",), ("250 ml",)),
)


@dataclass(frozen=True)
class Account:
    """A shop: the brands it sells, each over the product lines of what it sells."""

    name: str
    brands: tuple[tuple[Brand, tuple[Line, ...]], ...]


# Brand names: coined words, mixed-case logos, acronyms, and multi-word names made of ordinary
# words ("Hollow Oak", "Kindred Botanics"), which only their recurrence tells from a product line.
ACCOUNTS: tuple[Account, ...] = (
    Account(
        "skin-shop",
        (
            (Brand("Nordvik", True), _SKINCARE[:6]),
            (Brand("bareSkin", False), _SKINCARE[3:9]),
            (Brand("Kindred Botanics", True), _SKINCARE[5:] + _HAIR_BEAUTY[:2]),
        ),
    ),
    Account(
        "roastery",
        (
            (Brand("Ridgeline Roasters", True), _COFFEE_TEA[:4] + _COFFEE_TEA[7:]),
            (Brand("Kaffeku", False), _COFFEE_TEA[:4]),
            (Brand("Tidewater", True), _COFFEE_TEA[4:7] + _DRINKS[:1]),
        ),
    ),
    Account(
        "nutrition",
        (
            (Brand("VitaNova", False), _SUPPLEMENTS[:6]),
            (Brand("ORA", True), _SUPPLEMENTS[2:]),
            (Brand("Apex Origin", True), _SUPPLEMENTS[::2] + _DRINKS[2:]),
        ),
    ),
    Account(
        "pantry",
        (
            (Brand("Hollow Oak", False), _FOOD[:5]),
            (Brand("Fennwick", True), _FOOD[1:]),
            (Brand("Little Harvest", False), _FOOD[::2] + _DRINKS[1:2]),
        ),
    ),
    Account(
        "beauty-hall",
        (
            (Brand("DermaLuxe", False), _SKINCARE[::2]),
            (Brand("Olea & Rue", True), _HAIR_BEAUTY),
            (Brand("Solenne", True), _SKINCARE[1::2] + _HAIR_BEAUTY[2:]),
        ),
    ),
    Account(
        "home-and-pet",
        (
            (Brand("Wick & Wren", True), _HOME),
            (Brand("Barkwell", False), _PET),
            (Brand("Cleanly", False), _HOME[1:3]),
            (Brand("PawPure", False), _PET[:2]),
        ),
    ),
)

# Claims a label of each category carries.
_CLAIMS: dict[str, tuple[str, ...]] = {
    "skincare": ("NEW", "Vegan", "Cruelty Free", "Fragrance Free", "Dermatologist Tested"),
    "beauty": ("NEW", "Vegan", "Cruelty Free", "Limited Edition"),
    "supplement": ("NEW", "Non-GMO", "Gluten Free", "Vegan", "Third-Party Tested"),
    "food": ("Organic", "Non-GMO", "Gluten Free", "Vegan", "NEW"),
    "beverage": ("NEW", "Organic", "Fair Trade", "Small Batch"),
    "home": ("NEW", "Hand Poured", "Plant Based"),
    "pet": ("Grain Free", "NEW", "Real Meat First"),
}

# What each container is made of, by the look it is rendered with.
_CONTAINER_MATERIALS: dict[Container, tuple[str, ...]] = {
    "bottle": ("plastic",),
    "dropper": ("glass",),
    "pump": ("plastic",),
    "jar": ("glass",),
    "tub": ("plastic",),
    "tube": ("plastic",),
    "box": ("cardboard",),
    "pouch": ("plastic",),
    "can": ("aluminum",),
}

# Body colors a product may come in: palette names (their shades are what is rendered).
_BODY_COLORS = (
    "white", "black", "navy", "blue", "teal", "green", "olive", "red", "maroon", "pink",
    "coral", "orange", "yellow", "purple", "lavender", "gray", "cream", "beige", "tan", "kraft",
    "brown", "mint", "lightblue", "gold",
)  # fmt: skip

BackgroundKind = Literal["white", "gradient", "colored"]


@dataclass(frozen=True)
class CatalogEntry:
    account: str
    brand: Brand
    line: Line


@dataclass(frozen=True)
class LabelPhoto:
    index: int
    image: npt.NDArray[np.uint8]  # RGB
    mask: npt.NDArray[np.bool_]  # the true product region
    account: str  # which shop's catalog the product is in
    brand_name: str  # the brand's own spelling
    product_name: str  # the product line
    product_type: str
    category: str
    colors: frozenset[str]  # palette names acceptable for the body's color
    materials: tuple[str, ...]
    container: Container
    layout: Layout
    label_lines: tuple[str, ...]  # what is printed, top to bottom
    background: BackgroundKind
    jpeg_quality: int | None


def missing_fonts() -> list[str]:
    """The tuning fonts' files that are not installed (``make setup-fonts`` installs them)."""
    return [
        str(FONT_DIR / path)
        for pair in TUNING_FONTS.values()
        for path in pair
        if not (FONT_DIR / path).is_file()
    ]


@cache
def _font(family: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / TUNING_FONTS[family][1 if bold else 0]
    if not path.is_file():
        # Never a silent fallback to another font: the set would change without saying so.
        raise FileNotFoundError(f"tuning font {path} is missing: run `make setup-fonts`")
    return ImageFont.truetype(str(path), size)


@cache
def catalog() -> tuple[CatalogEntry, ...]:
    """Every (account, brand, product line) the catalog sells, in a fixed order."""
    return tuple(
        CatalogEntry(account.name, brand, line)
        for account in ACCOUNTS
        for brand, lines in account.brands
        for line in lines
    )


def _entry(index: int) -> CatalogEntry:
    entries = catalog()
    # A fixed shuffle, so consecutive photos are not the same brand.
    order = np.random.default_rng(SEED).permutation(len(entries))
    return entries[int(order[index % len(entries)])]


# --- the label's text ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str
    size: float  # cap height as a share of the label's height
    bold: bool
    family: str
    tracking: float = 0.0  # extra space between letters, of the font size


def _styled_brand(brand: Brand, rng: np.random.Generator) -> str:
    if brand.caps_on_label and rng.uniform() < 0.8:
        return brand.name.upper()
    return brand.name


def _label_texts(entry: CatalogEntry, layout: Layout, rng: np.random.Generator) -> list[_Text]:
    fam = list(TUNING_FONTS)
    brand_family = fam[int(rng.integers(len(fam)))]
    text_family = fam[int(rng.integers(len(fam)))] if rng.uniform() < 0.5 else brand_family
    brand = _styled_brand(entry.brand, rng)
    line = entry.line.name
    if rng.uniform() < 0.2:
        line = line.upper()
    descriptor = entry.line.descriptor
    if rng.uniform() < 0.3:
        descriptor = descriptor.upper()
    size = str(rng.choice(entry.line.sizes))
    claim = str(rng.choice(_CLAIMS[entry.line.category])) if rng.uniform() < 0.45 else None
    tracked = 0.25 + 0.35 * rng.uniform() if brand.isupper() and rng.uniform() < 0.6 else 0.0
    small = rng.uniform(0.045, 0.07)
    texts: list[_Text] = []
    if claim and rng.uniform() < 0.5:
        texts.append(_Text(claim, small, True, text_family))
    if layout == "brand-top":
        texts.append(_Text(brand, rng.uniform(0.11, 0.16), True, brand_family, tracked))
        texts.append(_Text(line, rng.uniform(0.07, 0.1), bool(rng.uniform() < 0.5), text_family))
        texts.append(_Text(descriptor, rng.uniform(0.05, 0.07), False, text_family))
    elif layout == "brand-small-top":
        texts.append(
            _Text(
                brand,
                rng.uniform(0.05, 0.075),
                bool(rng.uniform() < 0.6),
                brand_family,
                max(tracked, 0.3 if brand.isupper() else 0.0),
            )
        )
        texts.append(_Text(line, rng.uniform(0.11, 0.16), True, text_family))
        texts.append(_Text(descriptor, rng.uniform(0.05, 0.07), False, text_family))
    elif layout == "brand-bottom":
        texts.append(_Text(line, rng.uniform(0.11, 0.16), True, text_family))
        texts.append(_Text(descriptor, rng.uniform(0.05, 0.075), False, text_family))
        texts.append(_Text(brand, rng.uniform(0.06, 0.09), True, brand_family, tracked))
    elif layout == "by-brand":
        texts.append(_Text(line, rng.uniform(0.11, 0.16), True, text_family))
        texts.append(_Text(f"by {entry.brand.name}", rng.uniform(0.05, 0.07), False, brand_family))
        texts.append(_Text(descriptor, rng.uniform(0.05, 0.07), False, text_family))
    else:  # logo-line: the brand's own spelling as a logo, the line nearly as large
        texts.append(_Text(entry.brand.name, rng.uniform(0.1, 0.13), True, brand_family))
        texts.append(_Text(line, rng.uniform(0.08, 0.11), False, text_family))
        texts.append(_Text(descriptor, rng.uniform(0.05, 0.065), False, text_family))
    if claim and texts[0].text != claim:
        texts.append(_Text(claim, small, True, text_family))
    texts.append(_Text(size, rng.uniform(0.045, 0.06), False, text_family))
    return texts


def _draw_tracked(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
    tracking_px: float,
) -> None:
    x, y = xy
    for char in text:
        draw.text((x, y), char, font=font, fill=fill, anchor="ls")
        x += font.getlength(char) + tracking_px


def _text_width(text: str, font: ImageFont.FreeTypeFont, tracking_px: float) -> float:
    if not tracking_px:
        return float(font.getlength(text))
    return sum(float(font.getlength(c)) for c in text) + tracking_px * (len(text) - 1)


def _render_label(
    texts: list[_Text],
    width: int,
    height: int,
    paper: tuple[int, int, int],
    ink: tuple[int, int, int],
    accent: tuple[int, int, int],
    align: str,
) -> Image.Image:
    """The label (``width`` x ``height``) with ``texts`` stacked top to bottom, fitted."""
    label = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(label)
    margin = 0.08 * width
    # Font sizes from the cap heights asked for, shrunk until every line fits the width (wide
    # tracked capitals on a narrow label take ~15 steps; 12 left them cut at the label's edge).
    scale = 1.0
    for _ in range(40):
        fonts = []
        fits = True
        for item in texts:
            px = max(6, round(item.size * height * scale / 0.72))  # cap height ~0.72 of em
            font = _font(item.family, item.bold, px)
            fonts.append(font)
            if _text_width(item.text, font, item.tracking * px) > width - 2 * margin:
                fits = False
        gaps = 0.45 * sum(f.size for f in fonts)
        if fits and sum(f.size for f in fonts) * 0.95 + gaps <= height * 0.9:
            break
        scale *= 0.9
    total = sum(f.size for f in fonts) * 0.95 + gaps
    y = (height - total) / 2
    gap = gaps / max(len(texts), 1)
    for index, (item, font) in enumerate(zip(texts, fonts, strict=True)):
        tracking_px = item.tracking * font.size
        w = _text_width(item.text, font, tracking_px)
        x = margin if align == "left" else (width - w) / 2
        y += font.size * 0.95
        color = accent if index == 0 and item.bold else ink
        _draw_tracked(draw, (x, y), item.text, font, color, tracking_px)
        y += gap
    return label


# --- the product ---------------------------------------------------------------------------


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> npt.NDArray[np.float64]:
    pts: list[tuple[float, float]] = []
    r = max(min(r, (x1 - x0) / 2, (y1 - y0) / 2), 0.5)
    for cx, cy, start in ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90),
                          (x0 + r, y0 + r, 180)):  # fmt: skip
        for t in np.linspace(start, start + 90, 10):
            a = np.deg2rad(t)
            pts.append((cx + r * np.cos(a), cy + r * np.sin(a)))
    return np.array(pts)


def _shape(
    container: Container, s: float, rng: np.random.Generator
) -> tuple[list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]], tuple[float, ...]]:
    """Body polygons, cap/lid polygons (drawn in the cap color), and the label rectangle."""
    cx = s * rng.uniform(0.46, 0.54)
    if container in ("bottle", "dropper", "pump"):
        w = s * rng.uniform(0.26, 0.34)
        h = s * rng.uniform(0.62, 0.72)
        top = (s - h) / 2 + s * 0.03
        neck_w = w * (0.3 if container == "dropper" else 0.45)
        shoulder = top + h * 0.24
        body = _rounded_rect(cx - w / 2, shoulder, cx + w / 2, top + h, w * 0.12)
        neck = _rounded_rect(cx - neck_w / 2, top + h * 0.12, cx + neck_w / 2, shoulder + 8, 4)
        if container == "dropper":
            cap = [_rounded_rect(cx - neck_w * 0.45, top, cx + neck_w * 0.45, top + h * 0.14,
                                 neck_w * 0.4)]  # fmt: skip
        elif container == "pump":
            cap = [
                _rounded_rect(cx - neck_w / 2, top + h * 0.06, cx + neck_w / 2, top + h * 0.14, 3),
                _rounded_rect(cx - w * 0.05, top, cx + w * 0.3, top + h * 0.05, 3),
            ]
        else:
            cap = [_rounded_rect(cx - neck_w / 2 - 2, top, cx + neck_w / 2 + 2, top + h * 0.13, 4)]
        label = (cx - w * 0.45, shoulder + h * 0.08, cx + w * 0.45, top + h * 0.94)
        return [body, neck], cap, label
    if container in ("jar", "tub"):
        w = s * rng.uniform(0.5, 0.62)
        h = s * rng.uniform(0.42, 0.55) * (1.15 if container == "tub" else 1.0)
        top = (s - h) / 2 + s * 0.04
        lid_h = h * 0.2
        body = _rounded_rect(cx - w / 2, top + lid_h - 4, cx + w / 2, top + h, w * 0.08)
        lid = _rounded_rect(cx - w * 0.47, top, cx + w * 0.47, top + lid_h, w * 0.03)
        label = (cx - w * 0.46, top + lid_h + h * 0.06, cx + w * 0.46, top + h * 0.95)
        return [body], [lid], label
    if container == "tube":
        w = s * rng.uniform(0.28, 0.34)
        h = s * rng.uniform(0.66, 0.76)
        top = (s - h) / 2
        crimp = top + h * 0.03
        body = np.array([[cx - w / 2, crimp], [cx + w / 2, crimp], [cx + w * 0.36, top + h * 0.86],
                         [cx - w * 0.36, top + h * 0.86]])  # fmt: skip
        cap = [_rounded_rect(cx - w * 0.22, top + h * 0.85, cx + w * 0.22, top + h, w * 0.05),
               _rounded_rect(cx - w / 2, top, cx + w / 2, crimp + 4, 2)]  # fmt: skip
        label = (cx - w * 0.34, top + h * 0.1, cx + w * 0.34, top + h * 0.7)
        return [body], cap, label
    if container == "box":
        w = s * rng.uniform(0.5, 0.64)
        h = s * rng.uniform(0.55, 0.72)
        top = (s - h) / 2
        body = np.array([[cx - w / 2, top], [cx + w / 2, top], [cx + w / 2, top + h],
                         [cx - w / 2, top + h]])  # fmt: skip
        label = (cx - w * 0.44, top + h * 0.08, cx + w * 0.44, top + h * 0.92)
        return [body], [], label
    if container == "pouch":
        w = s * rng.uniform(0.5, 0.6)
        h = s * rng.uniform(0.66, 0.76)
        top = (s - h) / 2
        t = np.linspace(0, 1, 24)
        bow = w * 0.04 * np.sin(np.pi * t)
        left = np.stack([cx - w * 0.46 - bow - w * 0.04 * t, top + h * t], 1)
        right = np.stack([cx + w * 0.46 + bow + w * 0.04 * t, top + h * t], 1)[::-1]
        body = np.concatenate([left, right])
        label = (cx - w * 0.4, top + h * 0.14, cx + w * 0.4, top + h * 0.9)
        return [body], [], label
    # can
    w = s * rng.uniform(0.36, 0.42)
    h = s * rng.uniform(0.66, 0.74)
    top = (s - h) / 2
    body = _rounded_rect(cx - w / 2, top + h * 0.04, cx + w / 2, top + h * 0.97, w * 0.06)
    rims = [
        _rounded_rect(cx - w * 0.44, top, cx + w * 0.44, top + h * 0.06, w * 0.1),
        _rounded_rect(cx - w * 0.44, top + h * 0.95, cx + w * 0.44, top + h, w * 0.1),
    ]
    label = (cx - w * 0.48, top + h * 0.08, cx + w * 0.48, top + h * 0.92)
    return [body], rims, label


def _fill(shape: tuple[int, int], polys: list[npt.NDArray[np.float64]]) -> FloatImage:
    canvas = np.zeros(shape, np.uint8)
    for poly in polys:
        cv2.fillPoly(canvas, [np.round(poly).astype(np.int32)], 255)
    return canvas.astype(np.float32) / 255.0


def _hex_rgb(value: str) -> npt.NDArray[np.float32]:
    return np.array([int(value[i : i + 2], 16) for i in (1, 3, 5)], np.float32) / 255.0


def _label_share(body: FloatImage, label_w: int, label_h: int) -> float:
    """The label's share of the product's front (both in supersampled pixels)."""
    return label_w * label_h / max(float(body.sum()), 1.0)


def _background(kind: BackgroundKind, s: int, rng: np.random.Generator) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    if kind == "white":
        return np.full((s, s, 3), rng.uniform(0.96, 1.0), np.float32)
    if kind == "gradient":
        base = np.clip(rng.uniform(0.85, 0.97) + rng.normal(0, 0.015, 3), 0, 1)
        shade = 1.0 + rng.uniform(0.06, 0.12) * (0.5 - yy) - 0.1 * ((xx - 0.5) ** 2)
        return np.clip(base[None, None, :] * shade[..., None], 0, 1).astype(np.float32)
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(40, 120), rng.uniform(170, 235)]]], np.uint8)
    base = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0
    return np.broadcast_to(base, (s, s, 3)).copy()


def _contrast_ink(paper: npt.NDArray[np.float32]) -> tuple[int, int, int]:
    return (25, 25, 30) if float(paper @ np.array([0.3, 0.59, 0.11])) > 0.55 else (245, 245, 240)


def make_photo(index: int, size: int | None = None) -> LabelPhoto:
    """Photo number ``index``; ``size`` overrides the photo's own side (1024, some 800/1600)."""
    rng = np.random.default_rng([SEED, index])
    entry = _entry(index)
    line = entry.line
    container: Container = line.containers[int(rng.integers(len(line.containers)))]
    layout: Layout = LAYOUTS[int(rng.integers(len(LAYOUTS)))]
    if size is None:
        size = int(rng.choice([1024, 1024, 1024, 1024, 1024, 1024, 800, 1600]))
    background: BackgroundKind = ("white", "white", "gradient", "colored")[int(rng.integers(4))]
    big = size * _SUPERSAMPLE

    body_polys, cap_polys, (lx0, ly0, lx1, ly1) = _shape(container, float(big), rng)
    body_cov = _fill((big, big), body_polys)
    cap_cov = _fill((big, big), cap_polys)
    coverage = np.maximum(body_cov, cap_cov)

    color_name = "kraft" if container == "pouch" and rng.uniform() < 0.35 else None
    if color_name is None:
        color_name = _BODY_COLORS[int(rng.integers(len(_BODY_COLORS)))]
    shades = MERCHANT_PALETTE[color_name]
    body_rgb = np.clip(_hex_rgb(shades[int(rng.integers(len(shades)))]) + rng.normal(0, 0.01, 3),
                       0, 1).astype(np.float32)  # fmt: skip
    cap_rgb = np.array(
        [rng.choice([0.1, 0.85, 0.95])] * 3 if rng.uniform() < 0.7 else body_rgb * 0.8, np.float32
    )

    # Cylinder-like shading across the product and a lit top.
    _, xs = np.nonzero(coverage > 0)
    x_lo, x_hi = float(xs.min()), float(xs.max()) + 1
    across = (np.arange(big, dtype=np.float32) - x_lo) / max(x_hi - x_lo, 1.0)
    flat = container in ("box",)
    curve = 0.15 if flat else 0.35
    shading = 1.02 - curve * (2 * np.clip(across, 0, 1) - 1.0 - rng.uniform(-0.2, 0.2)) ** 2
    light = np.linspace(1.03, 0.95, big, dtype=np.float32)[:, None] * shading[None, :]

    fg = (
        body_rgb[None, None, :] * body_cov[..., None]
        + cap_rgb[None, None, :] * (cap_cov * (1 - body_cov))[..., None]
    )

    # The label: a paper rectangle (or printed straight on the body), with the text.
    texts = _label_texts(entry, layout, rng)
    on_body = container in ("box", "pouch", "can", "tube") and rng.uniform() < 0.6
    paper = body_rgb if on_body else np.array(
        [rng.uniform(0.88, 1.0)] * 3 if rng.uniform() < 0.6 else
        cv2.cvtColor(np.array([[[rng.uniform(0, 180), rng.uniform(30, 200), rng.uniform(60, 240)]]],
                              np.uint8), cv2.COLOR_HSV2RGB)[0, 0] / 255.0, np.float32)  # fmt: skip
    ink = _contrast_ink(paper)
    accent = ink
    if rng.uniform() < 0.3 and ink[0] < 128:
        hsv = np.array([[[rng.uniform(0, 180), 200, 120]]], np.uint8)
        accent = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])  # type: ignore[assignment]
    lw, lh = int(lx1 - lx0), int(ly1 - ly0)
    label = _render_label(
        texts,
        lw,
        lh,
        tuple(int(c * 255) for c in paper),  # type: ignore[arg-type]
        ink,
        accent,
        "left" if rng.uniform() < 0.2 else "center",
    )
    label_f = np.asarray(label, np.float32) / 255.0
    x0, y0 = int(lx0), int(ly0)
    region = fg[y0 : y0 + lh, x0 : x0 + lw]
    inside = body_cov[y0 : y0 + lh, x0 : x0 + lw, None] >= 0.999
    fg[y0 : y0 + lh, x0 : x0 + lw] = np.where(inside, label_f, region)
    fg = np.clip(fg * light[..., None], 0, 1)

    small_cov = cv2.resize(coverage, (size, size), interpolation=cv2.INTER_AREA)
    fg_small = cv2.resize(fg, (size, size), interpolation=cv2.INTER_AREA)
    bg = _background(background, size, rng)
    # A soft cast shadow down and to the side, on the background only.
    dx, dy = rng.uniform(-0.04, 0.05) * size, rng.uniform(0.01, 0.03) * size
    cast = cv2.warpAffine(small_cov, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (size, size))
    cast = cv2.GaussianBlur(cast, (0, 0), rng.uniform(0.015, 0.03) * size)
    bg = bg * (1.0 - rng.uniform(0.12, 0.25) * cast)[..., None]
    img = np.where(small_cov[..., None] > 0, fg_small / np.maximum(small_cov, 1e-6)[..., None], 0)
    img = np.clip(img, 0, 1) * small_cov[..., None] + bg * (1 - small_cov[..., None])

    # Mild perspective: the camera a little off the product's axis.
    jitter = rng.uniform(-0.025, 0.025, (4, 2)) * size
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float32)
    warp = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
    img = cv2.warpPerspective(img.astype(np.float32), warp, (size, size),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    small_cov = cv2.warpPerspective(small_cov, warp, (size, size), flags=cv2.INTER_LINEAR)
    mask = small_cov >= 0.5

    noise = float(rng.choice([0.0, 1.5, 3.0]))
    if noise:
        img = img + rng.normal(0, noise / 255.0, img.shape)
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    jpeg_quality: int | None = None
    if rng.uniform() < 0.6:
        jpeg_quality = int(rng.integers(70, 93))
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=jpeg_quality)
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.uint8).copy()

    colors = accepted_colors(body_rgb) | {color_name}
    if not on_body and _label_share(body_cov, lw, lh) >= 0.4:
        colors |= accepted_colors(paper)  # a label this large is what one sees of it
    materials = _CONTAINER_MATERIALS[container]
    if container == "pouch" and color_name == "kraft":
        materials = ("paper",)
    if line.product_type == "candle":
        materials = (*materials, "wax")
    return LabelPhoto(
        index=index,
        image=out,
        mask=mask,
        account=entry.account,
        brand_name=entry.brand.name,
        product_name=line.name,
        product_type=line.product_type,
        category=line.category,
        colors=colors,
        materials=materials,
        container=container,
        layout=layout,
        label_lines=tuple(item.text for item in texts),
        background=background,
        jpeg_quality=jpeg_quality,
    )


def tuning_set(n: int = PHOTOS, size: int | None = None, start: int = 0) -> list[LabelPhoto]:
    """Photos ``start`` to ``start + n - 1`` (their own sizes unless ``size`` is given)."""
    if missing := missing_fonts():
        raise FileNotFoundError(f"tuning fonts missing (run `make setup-fonts`): {missing}")
    return [make_photo(i, size) for i in range(start, start + n)]
