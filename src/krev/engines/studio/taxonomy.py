"""The product taxonomy and material vocabulary that label text is matched against.

Both are plain data so they can grow without code changes. Matching is whole-word and
case-insensitive; a keyword also matches its plural ("capsule" finds "capsules") and a unit
matches when glued to its number ("500mg"). Materials named on the label come from
``MATERIALS``; where the label names none, the analyzer may still infer one from the product's
look or from ``TYPE_MATERIALS`` (see ``analyze.infer_materials``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = [
    "MATERIALS",
    "PACKAGING_FORMS",
    "SHAPE_TYPES",
    "TAXONOMY",
    "TYPE_MATERIALS",
    "Category",
    "ProductType",
    "is_taxonomy_term",
    "match_materials",
    "match_packaging",
    "match_taxonomy",
]


@dataclass(frozen=True)
class ProductType:
    name: str
    keywords: tuple[str, ...]  # specific evidence for this type
    # How a supplement is taken ("capsules", "softgels"), not what it is: the type only where
    # nothing more specific is named ("Fish Oil Softgels" is omega-3).
    dose_form: bool = False


@dataclass(frozen=True)
class Category:
    name: str
    types: tuple[ProductType, ...]  # the first is the category's default type
    keywords: tuple[str, ...] = ()  # evidence for the category but not a particular type
    units: tuple[str, ...] = ()  # weak evidence: shared with other categories ("ml", "oz")


TAXONOMY: tuple[Category, ...] = (
    Category(
        "supplement",
        (
            ProductType(
                "protein powder",
                ("protein", "whey", "whey protein", "casein", "plant protein", "mass gainer"),
            ),
            ProductType(
                "vitamins",
                ("vitamin", "multivitamin", "vitamin c", "vitamin d3", "b12", "biotin", "prenatal"),
            ),
            ProductType(
                "capsules",
                ("capsule", "softgel", "tablet", "caplet", "veggie caps"),
                dose_form=True,
            ),
            ProductType(
                "pre-workout", ("pre-workout", "pre workout", "preworkout", "creatine", "bcaa")
            ),
            ProductType("probiotic", ("probiotic", "prebiotic", "cfu")),
            ProductType(
                "omega-3",
                ("omega-3", "omega 3", "fish oil", "krill oil", "cod liver oil", "algae oil"),
            ),
            ProductType("collagen", ("collagen", "collagen peptides")),
        ),
        keywords=("supplement", "dietary supplement", "serving", "daily dose", "gummies"),
        units=("mg", "mcg", "iu", "lb", "caps"),
    ),
    Category(
        "skincare",
        (
            ProductType(
                "serum",
                (
                    "serum",
                    "hyaluronic acid",
                    "niacinamide",
                    "retinol",
                    "ampoule",
                    "face oil",
                    "facial oil",
                ),
            ),
            ProductType(
                "moisturizer",
                (
                    "moisturizer",
                    "moisturiser",
                    "face cream",
                    "day cream",
                    "night cream",
                    "eye cream",
                    "gel cream",
                    "face lotion",
                ),
            ),
            ProductType(
                "sunscreen",
                ("sunscreen", "sunblock", "spf", "broad spectrum", "sun cream", "sun lotion"),
            ),
            ProductType(
                "cleanser",
                (
                    "cleanser",
                    "face wash",
                    "micellar water",
                    "cleansing",
                    "makeup remover",
                    "exfoliator",
                    "exfoliant",
                    "scrub",
                    "body wash",
                    "shower gel",
                    "hand wash",
                    "soap",
                    "cleansing milk",
                ),
            ),
            ProductType("toner", ("toner", "essence", "face mist", "facial mist")),
            ProductType("face mask", ("face mask", "sheet mask", "clay mask", "mask")),
            ProductType(
                "body lotion",
                (
                    "body lotion",
                    "lotion",
                    "body butter",
                    "body cream",
                    "hand cream",
                    "body oil",
                    "body milk",
                ),
            ),
        ),
        keywords=("skincare", "skin care", "dermatologist", "anti-aging", "hydrating"),
        units=("ml", "fl oz"),
    ),
    Category(
        "beauty",
        (
            ProductType(
                "fragrance",
                ("eau de parfum", "eau de toilette", "parfum", "perfume", "cologne", "body mist"),
            ),
            ProductType(
                "lipstick",
                ("lipstick", "lip gloss", "lip balm", "lip tint", "lip oil", "lip liner"),
            ),
            ProductType(
                "foundation",
                ("foundation", "concealer", "bb cream", "cc cream", "primer", "tinted moisturizer"),
            ),
            ProductType(
                "mascara",
                ("mascara", "eyeliner", "eyeshadow", "brow gel", "brow pencil", "eye liner"),
            ),
            ProductType("nail polish", ("nail polish", "nail lacquer", "gel polish")),
            ProductType(
                "shampoo",
                (
                    "shampoo",
                    "conditioner",
                    "hair mask",
                    "hair oil",
                    "hair serum",
                    "leave-in",
                    "hair spray",
                    "hairspray",
                    "hair gel",
                    "pomade",
                ),
            ),
            ProductType("blush", ("blush", "bronzer", "highlighter", "contour")),
            ProductType("deodorant", ("deodorant", "antiperspirant")),
            ProductType(
                "shaving", ("shaving cream", "shave gel", "razor", "aftershave", "beard oil")
            ),
            ProductType("oral care", ("toothpaste", "mouthwash", "toothbrush", "dental floss")),
        ),
        keywords=("cosmetics", "makeup", "beauty"),
        units=("ml", "fl oz"),
    ),
    Category(
        "beverage",
        (
            ProductType(
                "coffee",
                ("coffee", "cold brew", "espresso", "latte", "arabica", "decaf", "cappuccino"),
            ),
            ProductType(
                "tea",
                (
                    "tea",
                    "matcha",
                    "green tea",
                    "herbal tea",
                    "kombucha",
                    "chai",
                    "rooibos",
                    "oolong",
                    "chamomile",
                    "yerba mate",
                ),
            ),
            ProductType("juice", ("juice", "smoothie", "lemonade", "coconut water")),
            ProductType(
                "soda",
                (
                    "soda",
                    "sparkling water",
                    "cola",
                    "tonic water",
                    "seltzer",
                    "ginger ale",
                    "root beer",
                ),
            ),
            ProductType("energy drink", ("energy drink", "energy")),
            ProductType(
                "water", ("mineral water", "spring water", "still water", "alkaline water")
            ),
            ProductType("milk", ("milk", "oat milk", "almond milk", "soy milk", "oat drink")),
            ProductType(
                "wine",
                (
                    "wine",
                    "cabernet",
                    "merlot",
                    "chardonnay",
                    "prosecco",
                    "pinot",
                    "sauvignon",
                    "riesling",
                    "champagne",
                    "malbec",
                ),
            ),
            ProductType("beer", ("beer", "lager", "ipa", "pale ale", "stout", "hard cider")),
            ProductType(
                "spirits",
                (
                    "whisky",
                    "whiskey",
                    "vodka",
                    "gin",
                    "rum",
                    "tequila",
                    "bourbon",
                    "brandy",
                    "cognac",
                    "liqueur",
                    "mezcal",
                ),
            ),
        ),
        keywords=("drink", "beverage", "brewed", "bottled"),
        units=("ml", "cl", "fl oz", "oz"),
    ),
    Category(
        "food",
        (
            ProductType(
                "snack",
                (
                    "chips",
                    "crisps",
                    "cracker",
                    "pretzel",
                    "popcorn",
                    "snack",
                    "jerky",
                    "mixed nuts",
                    "almonds",
                    "cashews",
                    "dried fruit",
                    "rice cake",
                    "onion rings",
                ),
            ),
            ProductType("cookies", ("cookie", "biscuit", "shortbread", "wafer", "brownie")),
            ProductType(
                "candy", ("candy", "gummy bears", "lollipop", "licorice", "toffee", "marshmallow")
            ),
            ProductType("chocolate", ("chocolate", "cocoa", "dark chocolate", "praline")),
            ProductType("cereal", ("cereal", "granola", "muesli", "oats", "oatmeal", "porridge")),
            ProductType(
                "sauce",
                (
                    "sauce",
                    "ketchup",
                    "mayonnaise",
                    "salsa",
                    "dressing",
                    "pesto",
                    "marinade",
                    "mustard",
                    "sriracha",
                    "chutney",
                    "vinaigrette",
                    "vinegar",
                ),
            ),
            ProductType(
                "spread",
                (
                    "honey",
                    "jam",
                    "peanut butter",
                    "nut butter",
                    "almond butter",
                    "spread",
                    "marmalade",
                    "preserves",
                    "maple syrup",
                ),
            ),
            ProductType(
                "bar", ("protein bar", "granola bar", "energy bar", "snack bar", "cereal bar")
            ),
            ProductType(
                "pasta", ("pasta", "spaghetti", "noodle", "rice", "penne", "macaroni", "ramen")
            ),
            ProductType("olive oil", ("olive oil", "extra virgin")),
            ProductType("spices", ("spice", "seasoning", "spice blend", "dry rub", "peppercorns")),
            ProductType(
                "baking", ("baking mix", "pancake mix", "cake mix", "flour", "baking powder")
            ),
            ProductType("soup", ("soup", "broth", "bone broth")),
        ),
        keywords=("food", "organic", "gluten free", "net wt", "ingredients"),
        units=("g", "kg", "oz", "lb"),
    ),
    Category(
        "bags",
        (
            ProductType("handbag", ("handbag", "purse", "clutch", "shoulder bag", "crossbody")),
            ProductType("tote", ("tote", "tote bag", "shopper")),
            ProductType("backpack", ("backpack", "rucksack", "daypack")),
            ProductType("wallet", ("wallet", "card holder", "cardholder")),
            ProductType("luggage", ("suitcase", "luggage", "duffel", "carry-on", "weekender")),
        ),
        keywords=("bag",),
    ),
    Category(
        "apparel",
        (
            ProductType("t-shirt", ("t-shirt", "tee", "tshirt")),
            ProductType("hoodie", ("hoodie", "sweatshirt", "sweater", "jumper", "cardigan")),
            ProductType("jacket", ("jacket", "coat", "parka", "blazer", "windbreaker")),
            ProductType("pants", ("pants", "trousers", "jeans", "leggings", "shorts")),
            ProductType("dress", ("dress", "skirt", "gown")),
            ProductType("socks", ("sock",)),
            ProductType(
                "hat", ("hat", "baseball cap", "trucker cap", "snapback", "beanie", "beret")
            ),
            ProductType("shirt", ("shirt", "blouse", "polo", "button-down")),
        ),
        keywords=("apparel", "clothing", "garment", "slim fit", "regular fit"),
    ),
    Category(
        "footwear",
        (
            ProductType("sneakers", ("sneaker", "trainer", "running shoe", "basketball shoe")),
            ProductType("boots", ("boot", "chelsea boot", "ankle boot")),
            ProductType("sandals", ("sandal", "slide", "flip flop", "flip-flop")),
            ProductType("heels", ("heel", "pumps", "stiletto")),
            ProductType("loafers", ("loafer", "oxford", "derby", "moccasin")),
        ),
        keywords=("shoe", "footwear", "insole", "outsole"),
    ),
    Category(
        "jewelry",
        (
            ProductType("ring", ("ring", "engagement ring", "band ring")),
            ProductType("necklace", ("necklace", "pendant", "chain", "choker")),
            ProductType("earrings", ("earring", "stud earring", "hoop")),
            ProductType("bracelet", ("bracelet", "bangle", "cuff")),
            ProductType("watch", ("watch", "chronograph", "automatic movement")),
        ),
        keywords=("jewelry", "jewellery", "karat", "18k", "14k", "sterling"),
    ),
    Category(
        "electronics",
        (
            ProductType("headphones", ("headphone", "earbud", "earphone", "headset", "anc")),
            ProductType("speaker", ("speaker", "soundbar", "bluetooth speaker")),
            ProductType("phone", ("smartphone", "phone", "5g")),
            ProductType("charger", ("charger", "power bank", "usb-c", "cable", "adapter")),
            ProductType("camera", ("camera", "lens", "megapixel")),
            ProductType("laptop", ("laptop", "notebook computer", "tablet computer")),
            ProductType("smartwatch", ("smartwatch", "fitness tracker")),
        ),
        keywords=("bluetooth", "wireless", "electronics", "battery", "mah", "hz"),
        units=("w", "v", "mah"),
    ),
    Category(
        "home",
        (
            ProductType(
                "candle", ("candle", "scented candle", "wax melt", "tealight", "tea light")
            ),
            ProductType("mug", ("mug", "cup", "tumbler")),
            ProductType("cookware", ("pan", "skillet", "pot", "dutch oven", "cookware")),
            ProductType("decor", ("vase", "frame", "pillow", "cushion", "throw")),
            ProductType(
                "cleaning",
                (
                    "detergent",
                    "dish soap",
                    "cleaner",
                    "laundry",
                    "dishwasher tablet",
                    "fabric softener",
                    "stain remover",
                    "disinfectant",
                ),
            ),
            ProductType("diffuser", ("diffuser", "reed diffuser", "room spray", "essential oil")),
            ProductType("tableware", ("plate", "bowl", "dinnerware", "wine glass")),
        ),
        keywords=("home", "kitchen", "dishwasher safe", "decor"),
    ),
    Category(
        "pet",
        (
            ProductType(
                "pet food", ("dog food", "cat food", "kibble", "pet food", "treats", "dog biscuit")
            ),
            ProductType(
                "pet accessory",
                (
                    "leash",
                    "collar",
                    "pet bed",
                    "litter",
                    "chew toy",
                    "dog toy",
                    "cat toy",
                    "dog shampoo",
                ),
            ),
        ),
        keywords=("dog", "cat", "puppy", "kitten", "pet"),
    ),
    Category(
        "toys",
        (
            ProductType("plush", ("plush", "teddy", "stuffed animal")),
            ProductType("building set", ("building set", "bricks", "blocks")),
            ProductType("puzzle", ("puzzle", "jigsaw")),
            ProductType("board game", ("board game", "card game")),
        ),
        keywords=("toy", "ages 3+", "kids"),
    ),
    Category(
        "sports",
        (
            ProductType("yoga mat", ("yoga mat", "exercise mat")),
            ProductType("ball", ("football", "basketball", "soccer ball", "tennis ball")),
            ProductType("water bottle", ("water bottle", "shaker", "insulated bottle")),
            ProductType("fitness equipment", ("dumbbell", "kettlebell", "resistance band")),
        ),
        keywords=("sport", "fitness", "workout", "gym", "training"),
    ),
)

# Product forms a silhouette alone shows (see ``analyze.shape_cue``), used as the product type
# when the label names none, and the category each form implies: None where a form holds
# products of many categories (a bottle is skincare, beverage, supplement or cleaning).
SHAPE_TYPES: dict[str, str | None] = {
    "bottle": None,
    "jar": None,
    "box": None,
    "can": None,
    "pouch": None,  # packaging: a stand-up pouch or a kraft/coffee bag holds food or drink
    "bag": "bags",  # a bag one carries: handles over the body
    "shoe": "footwear",
    "mug": "home",  # a handle beside a squat body, the hole it encloses seen through
}

# Packaging forms a label may name outright. They are weaker than a product type ("Cold Brew
# Coffee Bag" is coffee) and never evidence for the "bags" category: a coffee bag is packaging,
# not a handbag. Longest phrases win.
PACKAGING_FORMS: dict[str, tuple[str, ...]] = {
    "pouch": (
        "stand-up pouch",
        "stand up pouch",
        "standup pouch",
        "doypack",
        "pouch",
        "coffee bag",
        "kraft bag",
        "paper bag",
        "zip bag",
        "zipper bag",
        "resealable bag",
        "refill bag",
    ),
    "box": ("gift box", "carton", "box"),
    "can": ("aluminium can", "aluminum can", "tin can", "canned"),
}

# What a product type is made of when nothing else says: only where one material is the norm
# (a mug is ceramic, a drinks can aluminium), never a guess between several.
TYPE_MATERIALS: dict[str, str] = {
    "mug": "ceramic",
    "can": "aluminum",
    "wine": "glass",
    "spirits": "glass",
    "fragrance": "glass",
    "candle": "wax",
}

# Canonical material name -> the words a label uses for it (longest phrases win, so "faux
# leather" is never also counted as "leather").
MATERIALS: dict[str, tuple[str, ...]] = {
    "faux leather": ("faux leather", "vegan leather", "pu leather", "leatherette"),
    "leather": ("leather", "genuine leather", "full grain", "full-grain", "suede", "nubuck"),
    "cotton": ("cotton", "organic cotton"),
    "linen": ("linen",),
    "wool": ("wool", "merino", "cashmere"),
    "silk": ("silk",),
    "polyester": ("polyester",),
    "nylon": ("nylon",),
    "denim": ("denim",),
    "canvas": ("canvas",),
    "rubber": ("rubber", "silicone"),
    "fabric": ("fabric", "textile", "woven"),
    "glass": ("glass", "borosilicate"),
    "plastic": ("plastic", "bpa free", "bpa-free", "pet plastic", "recycled plastic"),
    "aluminum": ("aluminum", "aluminium"),
    "stainless steel": ("stainless steel", "inox"),
    "steel": ("steel",),
    "metal": ("metal", "tin", "brass", "copper"),
    "gold": ("solid gold", "gold plated", "gold-plated", "14k gold", "18k gold"),
    "silver": ("sterling silver", "925 silver"),
    "ceramic": ("ceramic", "porcelain", "stoneware", "earthenware"),
    "wood": ("wood", "wooden", "bamboo", "oak", "walnut"),
    "paper": ("paper", "recycled paper", "kraft", "kraft paper"),
    "cardboard": ("cardboard", "paperboard"),
    "wax": ("soy wax", "beeswax", "coconut wax"),
}

_TYPE_WEIGHT = 2.0  # a type's own keyword, plus one per extra word of a phrase
_CATEGORY_WEIGHT = 1.0
_UNIT_WEIGHT = 0.5
_MIN_SCORE = 1.0  # a lone unit ("ml") is not enough to name a category

# An amount with its unit or count noun ("60 capsules", "20 tea bags", "2 lb", "12 bars"): what
# a label holds, never what it is. A line that starts with one is a size line; inside a line the
# amount is cut out ("Vitamin C 1000 mg" is vitamins, not a unit).
_COUNT_NOUNS = (
    r"mg|mcg|g|kg|ml|cl|l|oz|fl\.?\s*oz|lbs?|iu|caps|ct|count|pcs|pieces|pack|servings?|bars?"
    r"|(?:tea\s*)?bags?|pods?|sachets?|sticks?|capsules?|softgels?|tablets?|gummies|billion"
)
_AMOUNT = re.compile(rf"(?<![a-z0-9-])\d[\d.,/]*\s*(?:x\s*)?(?:{_COUNT_NOUNS})(?![a-z0-9])")
_SIZE_LINE = re.compile(r"^\s*(?:net\s*wt\.?\s*)?\d")


@cache
def _pattern(keyword: str, *, unit: bool = False, joined: bool = False) -> re.Pattern[str]:
    # OCR drops the space between a phrase's words ("CLAYMASK"): where ``joined``, a phrase
    # matches either way (never when telling a word from a name: "dogfood" is two words).
    body = (r"\s*" if joined else r"\s+").join(re.escape(word) for word in keyword.split())
    # A unit may follow its number directly ("500mg"); a word may take a plural ending.
    before = r"(?<![a-z])" if unit else r"(?<![a-z0-9])"
    plural = "" if unit else "(?:s|es)?"
    return re.compile(before + body + plural + r"(?![a-z0-9])")


def _normalise(texts: Sequence[str]) -> str:
    return " | ".join(" ".join(text.lower().split()) for text in texts)


def _found(keyword: str, text: str, *, unit: bool = False) -> bool:
    return _pattern(keyword, unit=unit).search(text) is not None


@dataclass(frozen=True)
class _Head:
    """The type a stretch of label text names: its last type phrase, as English puts the head
    noun last ("Vitamin C Serum" is a serum, "Protein Bar" a bar)."""

    product_type: str
    category: str
    weight: float
    order: int  # where on the label, so equal evidence goes to the line read first


# "A with B", "A for B", "A in B": what the product is comes before ("Soap with Essential
# Oils" is soap, "Shampoo for Dry Hair" shampoo).
_QUALIFIER = re.compile(r"\s(?:with|for|in)\s")


def _head(text: str, order: int) -> _Head | None:
    for part in _QUALIFIER.split(text):
        if head := _last_type(part, order):
            return head
    return None


def _last_type(text: str, order: int) -> _Head | None:
    best: tuple[bool, int, int, ProductType, Category, str] | None = None
    for category in TAXONOMY:
        for product_type in category.types:
            for keyword in product_type.keywords:
                for found in _pattern(keyword, joined=True).finditer(text):
                    # A dose form ("Fish Oil Softgels") yields to what the product is; else the
                    # phrase ending last, the longest of those ("Energy Drink" over "Energy").
                    key = (not product_type.dose_form, found.end(), -found.start())
                    if best is None or key > best[:3]:
                        best = (*key, product_type, category, keyword)
    if best is None:
        return None
    *_, product_type, category, keyword = best
    return _Head(product_type.name, category.name, _TYPE_WEIGHT + len(keyword.split()) - 1, order)


def _category_support(category: Category, text: str) -> float:
    shared = sum(_CATEGORY_WEIGHT for kw in category.keywords if _found(kw, text))
    return shared + sum(_UNIT_WEIGHT for unit in category.units if _found(unit, text, unit=True))


def _without_names(line: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """``line`` less the brand and product line it carries, and those names."""
    found = []
    for name in names:
        pattern = _pattern(name)
        if pattern.search(line):
            found.append(name)
            line = pattern.sub(" | ", line)
    return line, found


def match_taxonomy(texts: Sequence[str], names: Sequence[str] = ()) -> tuple[str, str] | None:
    """The best ``(product_type, category)`` the label text supports, or None without evidence.

    Each line names at most one type, its head (``_head``). The descriptor lines decide
    ("Hydrating Serum"); the brand and the product line (``names``, which may be made of type
    words: "Trail Mix", "Lamb & Rice") only when no other line names a type; an amount ("60
    capsules", "20 tea bags") only when nothing else does. Between types named at the same
    rank, the one whose category the rest of the label supports (category words, units) wins,
    then the line read first. With no type named, category-wide evidence names the category's
    default type.
    """
    lines = [_without_packaging(" ".join(text.lower().split())) for text in texts if text.strip()]
    if not any(line.strip(" |") for line in lines):
        return None
    keys = [" ".join(name.lower().split()) for name in names if name and name.strip()]
    descriptors: list[str] = []
    named: list[str] = []
    amounts: list[str] = []
    for line in lines:
        if _SIZE_LINE.match(line):
            amounts.append(line)
            continue
        amounts.extend(found.group() for found in _AMOUNT.finditer(line))
        rest, line_names = _without_names(_AMOUNT.sub(" ", line), keys)
        descriptors.append(rest)
        named.extend(line_names)
    whole = " | ".join(lines)
    for rank in (descriptors, named, amounts):
        heads = [head for order, text in enumerate(rank) if (head := _head(text, order))]
        if heads:
            return _best_supported(heads, whole)
    return _category_default(whole)


def _best_supported(heads: list[_Head], whole: str) -> tuple[str, str]:
    categories = {category.name: category for category in TAXONOMY}
    scores: dict[tuple[str, str], tuple[float, int]] = {}
    for head in heads:
        key = (head.product_type, head.category)
        if key in scores:
            score, order = scores[key]
            scores[key] = (score + head.weight, order)
        else:
            support = _category_support(categories[head.category], whole)
            scores[key] = (support + head.weight, head.order)
    return max(scores, key=lambda key: (scores[key][0], -scores[key][1]))


def _category_default(text: str) -> tuple[str, str] | None:
    best: tuple[float, str, str] | None = None
    for category in TAXONOMY:
        score = _category_support(category, text)
        if score >= _MIN_SCORE and (best is None or score > best[0]):
            best = (score, category.types[0].name, category.name)
    return None if best is None else (best[1], best[2])


def _packaging_phrases() -> list[tuple[str, str]]:
    phrases = [(phrase, form) for form, words in PACKAGING_FORMS.items() for phrase in words]
    return sorted(phrases, key=lambda item: (-len(item[0]), item[0]))


def _without_packaging(text: str) -> str:
    for phrase, _ in _packaging_phrases():
        if phrase != "canned":  # "canned tomatoes" still says food
            text = _pattern(phrase).sub(" ", text)
    return text


def match_packaging(texts: list[str]) -> str | None:
    """The packaging form the label names ("stand-up pouch" -> "pouch"), or None."""
    text = _normalise(texts)
    for phrase, form in _packaging_phrases():
        if _pattern(phrase).search(text):
            return form
    return None


@cache
def _all_terms() -> frozenset[str]:
    terms: set[str] = set()
    for category in TAXONOMY:
        terms.update(category.keywords)
        terms.update(category.units)
        terms.add(category.name)
        for product_type in category.types:
            terms.update(product_type.keywords)
            terms.add(product_type.name)
    for phrases in PACKAGING_FORMS.values():
        terms.update(phrases)
    return frozenset(terms)


def is_taxonomy_term(text: str) -> bool:
    """Whether ``text`` is made only of taxonomy words ("Whey Protein", "Serum"): not a brand."""
    rest = " ".join(text.lower().split())
    if not rest:
        return False
    for term in sorted(_all_terms(), key=len, reverse=True):
        rest = _pattern(term).sub(" ", rest)
    return not re.sub(r"[^a-z]", "", rest)


def match_materials(texts: list[str]) -> list[str]:
    """Materials named on the label, in vocabulary order; empty when none is written there."""
    text = _normalise(texts)
    phrases = sorted(
        ((phrase, material) for material, words in MATERIALS.items() for phrase in words),
        key=lambda item: (-len(item[0]), item[0]),
    )
    found: set[str] = set()
    for phrase, material in phrases:
        pattern = _pattern(phrase)
        if pattern.search(text):
            found.add(material)
            text = pattern.sub(" ", text)  # "faux leather" must not also read as "leather"
    return [material for material in MATERIALS if material in found]
