"""Reading a chat message without a model: what it asks for and how many ("three concepts", "a
couple of videos"), in which shape and length ("9:16", "15 second"), with which look ("on
marble", a preset, an ad style), about which earlier concept or render ("the second one",
"it"), and what chat does not do (changing Meta campaigns).

Everything is matched on a lower-case copy of the message, as whole words. A deliverable noun
("concepts", "images", "video", "ads") is an ask; a number or number word up to four words
before it (within the same phrase) is its count. A noun that only modifies the next one ("AD
concepts", "VIDEO ideas") is not an ask, and "image ideas" are part of concepts, not images.
A noun that points at something made earlier ("the second image", "concept 2", "that video")
is a reference, not an ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from krev.engines.studio.ads.styles import STYLES

__all__ = [
    "ALL",
    "LAST",
    "Ask",
    "Deliverable",
    "Reading",
    "normalize",
    "read_message",
]

Deliverable = Literal["concepts", "images", "video", "ads"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than one per line)."""
    return frozenset(text.split())


LAST = -1
"""A reference to the last item ("the last one", "it", "that one")."""
ALL = 0
"""A reference to every item ("them", "all of them", "each")."""

_NUMBERS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "another": 1,
    "two": 2,
    "couple": 2,
    "pair": 2,
    "both": 2,
    "three": 3,
    "few": 3,
    "several": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
}
_ORDINALS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "last": LAST,
    "latest": LAST,
    "final": LAST,
}


def _nouns(kind: Deliverable, words: str) -> dict[str, Deliverable]:
    return dict.fromkeys(words.split(), kind)


_DELIVERABLES: dict[str, Deliverable] = {
    **_nouns(
        "concepts",
        "concept concepts idea ideas angle angles hook hooks copy copies headline headlines "
        "caption captions tagline taglines",
    ),
    **_nouns(
        "images",
        "image images photo photos photograph photographs picture pictures pic pics shot shots "
        "render renders rendering renderings visual visuals packshot packshots mockup mockups",
    ),
    **_nouns("video", "video videos reel reels clip clips tiktok tiktoks animation animations"),
    **_nouns(
        "ads",
        "ad ads advert adverts advertisement advertisements creative creatives banner banners",
    ),
}
# Words after a deliverable noun that make it something else ("ad library", "copy space").
_NOT_AFTER: dict[str, frozenset[str]] = {
    "ads": _words(
        "library manager account accounts set sets spend budget budgets campaign campaigns "
        "performance results metrics"
    ),
    "concepts": frozenset({"space"}),
    "images": frozenset(),
    "video": frozenset(),
}
# Words before "shot" that make it a camera phrase, not an image ("hero shot").
_SHOT_CAMERA = frozenset({"hero", "detail", "close", "close-up", "wide"})
# A count is looked for back to one of these.
_BOUNDARIES = _words(
    ". , ; ! ? % and or then for with to but plus also about from in on into like as"
)
_POINTERS = frozenset({"that", "this", "those", "these", "same", "previous", "earlier"})

_TOKEN = re.compile(r"\d+:\d+|#\d+|\d+(?:st|nd|rd|th)?|[a-z]+(?:['-][a-z]+)*|[.,;!?%]")


def normalize(message: str) -> str:
    """Lower case, straight quotes, single spaces."""
    text = message.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", ", ")
    return " ".join(text.split())


# --- what the message asks for ----------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    kind: Deliverable
    count: int | None
    """As written: "three" 3, "a" 1; None for a bare plural ("concepts")."""
    definite: bool = False
    """"THE images", "the video": the media of concepts the message (or the conversation)
    has, not new ones from scratch."""


@dataclass(frozen=True)
class Reading:
    text: str
    """The message, normalized."""
    asks: dict[Deliverable, Ask] = field(default_factory=dict)
    image_ideas: bool = False
    """"include image ideas": concepts carry them anyway."""
    render: bool = False
    """"render them", "generate the images too", "with visuals": media for the concepts."""
    research: bool = False
    list_products: bool = False
    credits: bool = False
    meta_action: str | None = None
    """The Meta change the message asks for ("launch them"); chat does not plan it."""
    aspect_ratio: str | None = None
    aspect_words: str | None = None
    """What asked for the shape ("vertical", "9:16")."""
    duration: int | None = None
    """Seconds, as asked (not yet clamped to what videos allow)."""
    preset_id: str | None = None
    style_ids: tuple[str, ...] = ()
    """Ad styles the message names, in its order."""
    hd: bool = False
    refs: tuple[int, ...] = ()
    """1-based numbers of earlier items, ``LAST`` or ``ALL``, in the message's order."""
    ref_kind: Deliverable | None = None
    """The noun a reference was made with ("the second IMAGE"), if any."""
    per_item: int | None = None
    """"2 images each": images per concept."""
    more: bool = False
    """"more", "another", "new": not a repeat of what was made."""
    ugc: bool = False
    countries: tuple[str, ...] = ()
    topic: str | None = None
    """Content words for an Ad Library search ("vitamin c serums")."""

    @property
    def media(self) -> bool:
        return any(kind in self.asks for kind in ("images", "video", "ads")) or self.render


def _tokens(text: str) -> list[str]:
    # What looks like a count but is none: durations, prices, percentages, resolutions, ratios.
    text = re.sub(_DURATION, " duration ", text)
    text = re.sub(r"[$\u00a3\u20ac]\s*\d[\d,.]*|\d[\d,.]*\s*(?:%|percent\b)", " % ", text)
    text = re.sub(r"\b\d+\s*(?:k|p|px|fps|mm)\b", " resolution ", text)
    return _TOKEN.findall(text)


def _count_before(tokens: list[str], index: int) -> tuple[int | None, bool]:
    """The count within four words before ``tokens[index]``, and whether an ordinal or a
    pointer word ("second", "that") is there instead, which makes the noun a reference."""
    for j in range(index - 1, max(-1, index - 5), -1):
        word = tokens[j]
        if word in _ORDINALS or word in _POINTERS:
            return None, True
        if word.isdigit():
            value = int(word)
            return (value if 0 < value <= 50 else None), False
        if word in _NUMBERS:
            return _NUMBERS[word], False
        if word == "of" and j > 0 and tokens[j - 1] in ("couple", "pair", "few", "dozen"):
            continue
        if word in _BOUNDARIES or word == "of":
            break
    return None, False


def _asks(tokens: list[str]) -> tuple[dict[Deliverable, Ask], Deliverable | None]:
    asks: dict[Deliverable, Ask] = {}
    ref_kind: Deliverable | None = None
    skip = -1
    for i, token in enumerate(tokens):
        kind = _DELIVERABLES.get(token)
        if kind is None or i == skip:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        previous = tokens[i - 1] if i > 0 else ""
        if following in _NOT_AFTER[kind]:
            continue
        if kind == "video" and _DELIVERABLES.get(following) == "ads":
            skip = i + 1  # "a video ad" is a video
        elif following in _DELIVERABLES or following == "imageideas":
            continue  # "AD concepts", "VIDEO ideas": the next noun is the head
        if token in ("shot", "shots") and previous in _SHOT_CAMERA:
            continue
        if token in ("render", "renders", "creative", "creatives") and not (
            previous in _NUMBERS
            or previous.isdigit()
            or previous in ("the", "some", "more", "new", "ad", "ads", "static", "video")
        ):
            continue  # "render them" is a verb; "get creative" an adjective
        count, pointed = _count_before(tokens, i)
        numbered = re.fullmatch(r"#?\d", following) is not None
        if pointed or numbered:
            ref_kind = ref_kind or kind
            continue
        definite = count is None and previous in ("the", "them", "their")
        if count is None and not token.endswith("s") and token not in ("copy", "tiktok"):
            count = 1
        if kind not in asks or (asks[kind].count is None and count is not None):
            asks[kind] = Ask(kind, count, definite)
    return asks, ref_kind


# --- the rest, phrase by phrase ---------------------------------------------------------------

_IMAGE_IDEAS = re.compile(
    r"\b(?:image|photo|visual|picture|scene|shot|art direction)s?\s+"
    r"(?:ideas?|concepts?|prompts?|descriptions?|directions?|suggestions?)\b"
)
_RENDER = re.compile(
    r"\b(?:render|visuali[sz]e|illustrate)\b"
    r"|\b(?:generate|create|make|produce|shoot|draw|do)\s+(?:them|those|these|both|"
    r"all(?: of them)?|each(?: of them| one)?|every one)\b"
    r"|\bturn\s+(?:them|those|these|it|each|all)\b.{0,20}\binto\b"
    r"|\bbring\s+(?:them|those|these|it)\s+to life\b"
    r"|\b(?:with|plus|and)\s+(?:the\s+)?(?:images|visuals|renders|photos|pictures)\b"
)
_RESEARCH = re.compile(
    r"\b(?:research|researching|competitors?|competition|competitive|adlibrary|trends?|"
    r"trending|benchmark|spy)\b"
    r"|\bwhat(?:'s| is| are)\s+(?:\w+\s+){0,2}?(?:working|running|performing|trending)\b"
    r"|\b(?:look|looking|check|checking|browse|analy[sz]e|study|search)\s+"
    r"(?:at\s+|out\s+|for\s+)?(?:\w+\s+){0,3}?(?:ads|adverts|campaigns)\b"
    r"|\b(?:winning|top|best[- ]performing|running|other brands'?)\s+ads\b"
    r"|\bwhat (?:others|other brands|brands) (?:are|do)\b"
)
_CREATE = re.compile(
    r"\b(?:make|makes|making|create|creating|write|writing|generate|generating|design|produce|"
    r"build|give me|draft|come up with|brainstorm|need|want|render|shoot|film)\b"
)
_LIST_PRODUCTS = re.compile(
    r"\b(?:list|show|see|view|give)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my|our|the)\s+"
    r"(?:products|catalog(?:ue)?|items)\b"
    r"|\b(?:what|which)\s+(?:products|items)\b"
    r"|\bproducts\s+(?:do|have|did)\s+(?:i|we)\b"
    r"|\bmy\s+catalog(?:ue)?\b"
)
_CREDITS = re.compile(
    r"\b(?:how many|how much)\s+credits?\b|\bcredits?\s+(?:left|remaining|balance|do i have)\b"
    r"|\bbalance\b|\bhow much (?:can i|do i have to) spend\b|\bcredit balance\b"
)
_META = (
    # "ads to post on Instagram" asks for ads; "post them on Instagram" asks to publish.
    re.compile(
        r"(?<!to )\b(?:launch|publish|post|push|upload)\s+(?:\w+\s+){0,3}?(?:to|on)\s+"
        r"(?:meta|facebook|instagram|fb|ig)\b"
    ),
    re.compile(
        r"\b(?:launch|publish|start|run|create|set up|setup)\s+(?:a\s+|an\s+|the\s+|my\s+|our\s+|"
        r"new\s+|meta\s+|facebook\s+|instagram\s+)*(?:campaigns?|ad ?sets?)\b"
    ),
    re.compile(r"\b(?:launch|publish)\s+(?:it|them|this|that|these|those)\b"),
    re.compile(
        r"\b(?:pause|unpause|resume|stop|turn off|turn on|kill|disable|enable|delete|archive|"
        r"duplicate)\s+(?:\w+\s+){0,3}?(?:campaigns?|ad ?sets?|ads)\b"
    ),
    re.compile(
        r"\b(?:increase|decrease|raise|lower|change|set|double|halve|cut|adjust|update)\s+"
        r"(?:\w+\s+){0,3}?budgets?\b"
    ),
    re.compile(r"\bboost\s+(?:\w+\s+){0,2}?(?:post|posts|ad|ads)\b"),
    re.compile(r"\b(?:go live|put (?:it|them) live|push (?:it|them) live)\b"),
)
_RATIO = re.compile(r"\b(\d{1,2})\s*:\s*(\d{1,2})\b")
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:vertical|portrait|reels?|tiktoks?|shorts|full[- ]screen)\b"), "9:16"),
    (
        re.compile(
            r"\b(?:instagram|ig|facebook|fb|snapchat)\s+stor(?:y|ies)\b"
            r"|\b(?:for|as|in)\s+(?:a\s+|the\s+|my\s+|our\s+)?stor(?:y|ies)\b"
        ),
        "9:16",
    ),
    (re.compile(r"\bsquare\b"), "1:1"),
    (re.compile(r"\b(?:landscape|widescreen|wide[- ]screen|youtube|horizontal)\b"), "16:9"),
    (re.compile(r"\b(?:feed|instagram post|facebook post)\b"), "4:5"),
)
_NUMBER_WORD = "|".join(sorted((w for w in _NUMBERS if len(w) > 2), key=len, reverse=True))
_DURATION = re.compile(
    r"\b(\d{1,3})\s*-?\s*(?:seconds?|secs?|s)\b"
    rf"|\b({_NUMBER_WORD}|fifteen|twenty|thirty|sixty)\s*-?\s*(?:seconds?|secs?)\b"
    r"|\bhalf (?:a )?minute\b|\b(?:a|one)[- ]minute\b"
)
_TEENS = {"fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60}
_PRESETS: tuple[tuple[str, str], ...] = (
    # Specific looks first: "dark marble" is dark_luxe, not marble.
    (r"dark[ _]luxe|dark luxury|dark marble|black marble", "dark_luxe"),
    (
        r"studio[ _]white|white studio|white (?:background|backdrop|sweep)|plain white",
        "studio_white",
    ),
    (r"flat[ _-]?lay", "flat_lay"),
    (r"pastel[ _]pop|pastel", "pastel_pop"),
    (r"outdoor[ _]light|outdoors?|outside|in nature|garden", "outdoor_light"),
    (r"lifestyle", "lifestyle"),
    (r"podiums?|pedestals?|plinths?", "podium"),
    (r"gradient", "gradient"),
    (r"marble", "marble"),
    (r"neon|cyberpunk", "neon"),
    (r"concrete|urban|brutalist", "concrete"),
    (r"beach|sand|sandy", "beach"),
    (r"water|pool|poolside|underwater", "water"),
)
# A style is named by its name, its id, or its id's words where they say nothing else ("bold
# offer" does, "performance" alone does not).
_STYLE_NAMES: tuple[tuple[str, str], ...] = (
    *(
        (name, style.id)
        for style in STYLES
        for name in (style.name.lower(), style.id, f"{style.id.replace('_', ' ')} style")
    ),
    ("minimal luxe", "minimal_luxe"),
    ("bold offer", "bold_offer"),
    ("social proof", "social_proof"),
    ("benefit stack", "benefit_stack"),
    ("comparison", "comparison"),
)
_UGC = re.compile(
    r"\b(?:ugc|user[- ]generated|creator[- ]style|creator video|content creator|influencer|"
    r"unboxing|unbox|haul|grwm|get ready with me|day in the life|pov|selfie|vlog|talking head|"
    r"honest review|review video|tiktok[- ]style|reels[- ]style)\b"
)
_HD = re.compile(r"\b(?:4k|8k|hd|high[- ]res(?:olution)?|ultra[- ]hd|uhd|print quality)\b")
_MORE = re.compile(r"\b(?:more|another|new|different|fresh|other|else)\b")
_COUNTRIES: dict[str, str] = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "britain": "GB",
    "england": "GB",
    "canada": "CA",
    "australia": "AU",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "ireland": "IE",
    "new zealand": "NZ",
    "brazil": "BR",
    "mexico": "MX",
    "india": "IN",
    "japan": "JP",
    "sweden": "SE",
}
_COUNTRY = re.compile(
    r"\b(?:in|for|from|across)\s+(?:the\s+)?("
    + "|".join(sorted(map(re.escape, _COUNTRIES), key=len, reverse=True))
    + r")\b"
)
_REF_ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th|last|latest|final)\b"
    r"(?!\s+(?:of all|chance|week|month|year|time|minute|night|day|call)\b)"
)
_REF_FIRST_N = re.compile(r"\b(?:the\s+)?first\s+(two|three|four|five|six|[2-6])\b")
_REF_NUMBER = re.compile(
    r"(?:#|\bnumbers?\s+|\bno\.?\s*|\b(?:concept|option|idea|image|photo|version|ad|video|"
    r"render|variant)s?\s+#?)([1-6])\b(?!\s*:)((?:\s*(?:,|and|&)\s*#?[1-6]\b(?!\s*:))*)"
)
_REF_ALL = re.compile(
    r"\b(?:them|those|these|all of them|all|each(?: one)?|every one|both|the ones)\b"
)
_REF_IT = re.compile(r"\b(?:it|that one|this one|that|this|the one)\b")


def _duration(text: str) -> int | None:
    match = _DURATION.search(text)
    if match is None:
        return None
    word = match.group(1) or match.group(2)
    if word is None:
        return 30 if "half" in match.group(0) else 60
    if word.isdigit():
        return int(word)
    return _TEENS.get(word) or _NUMBERS.get(word)


def _aspect(text: str) -> tuple[str | None, str | None]:
    ratio = _RATIO.search(text)
    if ratio and ratio.group(1) != "0" and ratio.group(2) != "0":
        return f"{int(ratio.group(1))}:{int(ratio.group(2))}", ratio.group(0)
    for pattern, shape in _SHAPES:
        match = pattern.search(text)
        if match:
            return shape, match.group(0)
    return None, None


def _first_match(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for pattern, value in table:
        if re.search(rf"(?<![a-z]){pattern}(?![a-z])", text):
            return value
    return None


def _style_ids(text: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for name, style_id in _STYLE_NAMES:
        match = re.search(rf"(?<![a-z_]){re.escape(name)}(?![a-z_])", text)
        if match:
            found.append((match.start(), style_id))
    return tuple(dict.fromkeys(style_id for _, style_id in sorted(found)))


def _refs(text: str) -> tuple[int, ...]:
    refs: list[tuple[int, int]] = []
    first_n = _REF_FIRST_N.search(text)
    if first_n:
        n = first_n.group(1)
        count = int(n) if n.isdigit() else _NUMBERS[n]
        refs.extend((first_n.start(), k) for k in range(1, count + 1))
    for match in _REF_ORDINAL.finditer(text):
        if first_n and first_n.start() <= match.start() < first_n.end():
            continue
        if match.group(1) in ("first", "1st") and re.match(r"\s*,", text[match.end() :]):
            continue  # "first, research ..." is an adverb
        refs.append((match.start(), _ORDINALS[match.group(1)]))
    for match in _REF_NUMBER.finditer(text):
        refs.append((match.start(), int(match.group(1))))
        refs.extend((match.start(), int(n)) for n in re.findall(r"[1-6]", match.group(2) or ""))
    if not refs:
        if re.search(r"\bboth\b", text):
            return (1, 2)
        if _REF_ALL.search(text):
            return (ALL,)
        if _REF_IT.search(text):
            return (LAST,)
    return tuple(dict.fromkeys(value for _, value in sorted(refs)))


def _meta_action(text: str) -> str | None:
    for pattern in _META:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return None


_NOT_TOPIC = _words(
    "a an the and or of for in on at to with about from by into my our your their its me us "
    "i we you they it this that these those what whats what's which who how is are was be "
    "do does doing did done working work works running run performing trending trend trends "
    "now right currently today lately recent recently please pls can could would should will "
    "research researching competitor competitors competition competitive look looking check "
    "checking browse analyze analyse study search find see show tell give make create write "
    "ads ad adverts advert campaigns campaign adlibrary library meta facebook instagram "
    "brands brand others other some any more best top winning like similar also then just "
    "product products niche market space category industry inspiration ideas idea concepts "
    "concept images image videos video copy hooks spy benchmark us uk usa eu based on want "
    "need get going out there people them up new latest days week weeks month launch "
    "one two three four five six seven eight nine ten few couple several some me "
    "whats what's who's people's competitors' others' it's have has had left"
)


def _topic(text: str) -> str | None:
    """The message's content words once what chat itself reads is taken out ("research what
    competitors are doing with vitamin c serums": "vitamin c serums"), at most six."""
    for pattern in (_CREDITS, _LIST_PRODUCTS, _COUNTRY, _DURATION, _RATIO):
        text = pattern.sub(" ", text)
    text = re.sub(r"\b\d+\b", " ", text)
    words = [w for w in re.findall(r"[a-z][a-z'\-]*", text) if w not in _NOT_TOPIC]
    return " ".join(list(dict.fromkeys(words))[:6]) or None


def read_message(message: str) -> Reading:
    """Everything the planner reads in a message (``Reading``)."""
    text = normalize(message)
    image_ideas = _IMAGE_IDEAS.search(text) is not None
    scanned = _IMAGE_IDEAS.sub(" imageideas ", text).replace("ad library", "adlibrary")
    # "look at competitor ads": those ads are research, not ads to make.
    asks, ref_kind = _asks(_tokens(_RESEARCH.sub(" research ", scanned)))
    research = _RESEARCH.search(scanned) is not None
    if research and not _CREATE.search(text):
        # "what's working in skincare ads?": ads looked at, none asked for.
        asks = {kind: ask for kind, ask in asks.items() if ask.count is not None}
    aspect, aspect_words = _aspect(text)
    per_item = re.search(
        r"\b(\d|one|two|four)\s+(?:images?|photos?|pictures?|variants?|versions?)\s+"
        r"(?:each|per concept|for each|apiece)\b",
        text,
    )
    countries = tuple(dict.fromkeys(_COUNTRIES[m] for m in _COUNTRY.findall(text)))
    return Reading(
        text=text,
        asks=asks,
        image_ideas=image_ideas,
        render=_RENDER.search(scanned) is not None,
        research=research,
        list_products=_LIST_PRODUCTS.search(text) is not None,
        credits=_CREDITS.search(text) is not None,
        meta_action=_meta_action(text),
        aspect_ratio=aspect,
        aspect_words=aspect_words,
        duration=_duration(text),
        preset_id=_first_match(text, _PRESETS),
        style_ids=_style_ids(text),
        hd=_HD.search(text) is not None,
        refs=_refs(_DURATION.sub(" duration ", text)),
        ref_kind=ref_kind,
        per_item=(
            (int(per_item.group(1)) if per_item.group(1).isdigit() else _NUMBERS[per_item.group(1)])
            if per_item
            else None
        ),
        more=_MORE.search(text) is not None,
        ugc=_UGC.search(text) is not None,
        countries=countries,
        topic=_topic(text),
    )
