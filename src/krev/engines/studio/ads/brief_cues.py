"""The words and patterns the brief reader recognises: how a request to us is framed, what
describes the ad rather than the product, offers, deadlines and codes, quotes and their
authors, stated proof, comparisons, calls to action, and the keys of brand notes.

Plain data and compiled patterns, so they can grow without touching the reading logic in
``brief``.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than one per line)."""
    return frozenset(text.split())


# --- the words that frame a request rather than describe a product ------------------------

VERBS = (
    r"create|make|write|generate|design|build|produce|craft|draft|give|get|need|want|prepare|"
    r"do|develop|come up with|put together|run|launch"
)
AD_WORDS = (
    r"ads?|adverts?|advertisements?|advertising|creatives?|campaigns?|posts?|copy|banners?|"
    r"promos?|spots?|visuals?|graphics?|headlines?|captions?"
)
# Everything from the start of a clause up to "... ad for" (or "... ad:" / "... ad"), with a
# politeness or a verb first: "Please create a bold, punchy direct response ad for".
INSTRUCTION = re.compile(
    rf"^\s*(?:(?:hi|hey|hello)[,!]?\s+)?(?:please\s+)?(?:can you\s+|could you\s+|i'd like\s+|"
    rf"we'd like\s+|i would like\s+|i want\s+|we want\s+|i need\s+|we need\s+|let's\s+)?"
    rf"(?:(?:{VERBS})\s+(?:me\s+|us\s+)?)?"
    rf"(?:(?:a|an|the|some|our|my|one|two|three|four|few|\d+)\s+)?"
    rf"(?P<describing>(?:[\w'%&/+-]+,?\s+){{0,5}}?)"
    rf"(?:{AD_WORDS})\b"
    rf"(?:\s+(?:variants?|versions?|options?|images?|set))?"
    rf"\s*(?P<preposition>(?:for|about|of|on|promoting|featuring|showing|showcasing|"
    rf"highlighting|selling|to sell|to promote|with|using|that (?:shows|promotes|sells|"
    rf"highlights|features))\b\s*)?[:,-]?\s*",
    re.IGNORECASE,
)
# A clause that only instructs: how the ad should look or sound, what to leave out.
DIRECTIVE = re.compile(
    r"^\s*(?:please\s+)?(?:make (?:it|them|this|sure)|keep (?:it|them|the copy)|use |"
    r"don'?t|do not|never|avoid|no need|without |should|must|try to|aim for|go for|"
    r"tone|voice|style|vibe|mood|feel\b|in a |with a \w+ (?:tone|vibe|feel)|"
    r"target(?:ing)?\b|aimed at|audience|format|sized|size\b|square|vertical|landscape|"
    r"on (?:a|an) [\w\s-]*background|background|colou?rs?\b|palette|fonts?\b|logo|"
    r"for (?:instagram|facebook|meta|tiktok|pinterest|stories|reels|the feed))",
    re.IGNORECASE,
)
META_WORDS = re.compile(
    r"\b(?:ad|ads|advert|creative|campaign|brief|instagram|facebook|meta|tiktok|pinterest|"
    r"headlines?|captions?|copy|cta|call to action|tone|voice|vibes?|punchy|catchy|fun|playful|"
    r"professional|engaging|eye-catching|scroll-stopping|image|photo|picture|background|"
    r"layout|template|style|font|logo|variants?|versions?|aesthetic|"
    r"(?:high|upbeat|positive|good|fun|big|calm|chill)[- ]energy|mood|story|"
    r"stories|reels?|feed)\b",
    re.IGNORECASE,
)
# Words that describe the ad rather than the product ("a bold direct response ad").
STYLE_WORDS = _words(
    "direct response direct-response performance conversion conversion-focused luxury "
    "luxe minimal minimalist premium elegant refined bold punchy catchy simple clean "
    "modern fun playful short long quick static video image carousel story stories reel "
    "feed social proof social-proof testimonial review comparison compare benefit "
    "benefits benefit-driven benefit-led offer sale discount promo promotional seasonal "
    "holiday facebook instagram meta tiktok pinterest paid new good great nice strong "
    "simple high-converting high-end sophisticated timeless urgent creative scroll- "
    "stopping eye-catching engaging compelling ugc product brand awareness retargeting "
    "launch"
)
GENERIC_SUBJECTS = _words(
    "product products item items thing things stuff one ones brand store shop business "
    "company website site page range line offer offers sale deal deals launch drop it "
    "them this review reviews testimonial testimonials quote quotes benefits features "
    "reasons following fact"
)
DETERMINERS = r"this|these|that|those|our|my|the|your|their|his|her"
SUBJECT_STOP = _words(
    "that which who with for to in made from and because so on at by featuring using as "
    "is are it its while when where if but or than vs versus unlike instead plus now "
    "today this these - \u2013 — showing highlighting"
)
SUBJECT_SKIP = frozenset(
    ["new", "latest", "brand-new", "all-new", "best-selling", "bestselling", "signature", "famous"]
)
PEOPLE = _words(
    "parents moms mums dads mothers fathers kids children families women men girls boys "
    "athletes students professionals teens teenagers runners nurses doctors travelers "
    "travellers creators owners lovers fans people folks everyone anyone beginners pros "
    "gamers hikers cyclists bikers climbers lifters yogis chefs cooks bakers artists "
    "designers developers founders teams brides grooms couples babies toddlers seniors "
    "entrepreneurs commuters operators readers writers foodies teachers golfers swimmers "
    "skaters surfers campers shoppers drinkers snackers sleepers workers makers builders "
    "gardeners dancers players bloggers managers marketers leaders newcomers explorers "
    "adventurers vegans vegetarians musicians freelancers homeowners renters gymgoers "
    "gym-goers friends grandparents retirees outdoorspeople minimalists collectors "
    "enthusiasts achievers dreamers hosts guests"
)
VERBS_3RD = _words(
    "keeps helps gives makes lasts fits holds stays supports boosts cleans tastes feels "
    "works goes brings delivers protects hydrates softens brightens fuels lets saves "
    "carries charges dries washes packs blocks cuts locks seals folds travels pairs looks "
    "smells wears runs cools warms heats absorbs glides sets layers moves breathes "
    "stretches melts blends mixes sips brews powers plays sounds cancels tracks adapts "
    "adjusts smooths soothes calms nourishes repairs restores strengthens shields "
    "refreshes energizes energises wakes ships arrives comes contains has includes offers "
    "doubles turns grows feeds treats cares means combines balances replaces beats "
    "outlasts wipes rinses dissolves fills covers matches suits needs takes loves reduces "
    "removes improves builds gets regulates wicks resists repels handles survives "
    "withstands lights cleanses tones firms plumps lifts evens clears tames detangles "
    "defines curls straightens whitens freshens deodorizes kills stops prevents speeds "
    "slows lowers raises connects streams records captures stores organizes simplifies "
    "cooks bakes grills boils chills freezes brightens"
)
# Verbs that also name products ("dog treats", "tea lights", "gift sets"): after a noun they
# end it only where an object follows ("the mask treats your skin").
NOUN_VERBS = _words(
    "treats lights sets packs wipes covers blends mixes brews tracks layers cuts seals records "
    "sounds plays stores powers means fills matches tones curls chills lifts"
)


def _base(verb: str) -> str:
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


# The verbs' plural forms, after a plural product ("headphones block out noise").
VERB_BASES = frozenset(_base(verb) for verb in VERBS_3RD) - {"ha"} | {"have"}
# Words that start a verb's object or complement ("keeps you full", "block out noise").
OBJECT_STARTS = _words(
    "you your it its them the a an up down out off all every everything everyone skin hair "
    "food drinks coffee water feet body teeth face lips nails dogs cats pets clothes hands "
    "me us our my their his her any noise sweat light odor odour dirt germs stains fast "
    "quickly easily better perfectly anywhere everywhere free"
)
NOT_VERBS = _words(
    "sneakers pants jeans leggings shorts socks vitamins capsules boots sandals heels "
    "loafers earrings headphones cookies spices ingredients results benefits bars snacks "
    "drinks colors colours sizes flavors flavours options details materials always is was "
    "has its this gas plus less bonus canvas glass lens dress kids parents moms dads"
)
PREDICATE_NEXT = _words(
    "you your it its them the a an up down out in on like all every everything everyone "
    "skin hair food drinks coffee water longer great good well from through into with for "
    "to"
)

# --- offers ---------------------------------------------------------------------------------

MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
OFF_TAIL = (
    r"(?:\s+(?:(?:on\s+)?(?:your\s+|all\s+)?orders?\s+(?:over|above|of)\s+[$€£]?\s?\d+"
    r"(?:[.,]\d{2})?(?:\s?(?:€|£|dollars|euros?|pounds))?|everything|sitewide|site-wide|storewide|store-wide|"
    r"(?:all|every|your|our|any|the|first)(?:\s+(?!until\b|till\b|ends?\b|through\b|with\b|"
    r"when\b|code\b|today\b|this\b|for\b|and\b|on\b)[\w'-]+){1,3}))?"
)
PERCENT_OFF = re.compile(
    rf"\b(?:up to\s+)?\d{{1,2}}(?:\.\d+)?\s?%\s?off\b{OFF_TAIL}", re.IGNORECASE
)
AMOUNT_OFF = re.compile(
    rf"(?:\bup to\s+)?(?:[$€£]\s?\d+(?:[.,]\d{{2}})?|\b\d+(?:[.,]\d{{2}})?\s?(?:€|£|dollars|"
    rf"euros?|pounds|usd|eur|gbp))\s?off\b{OFF_TAIL}",
    re.IGNORECASE,
)
# Who an offer is for, or what it is on, said before it: "Subscribers save 10%", "Members get
# 20% off", "first box 50% off".
OFFER_FOR = re.compile(
    r"\b(?:(?:new\s+|first-time\s+)?(?:subscribers|members|students|customers|buyers)|"
    r"(?:(?:your|the)\s+)?first\s+(?:box|order|month|bag|purchase|delivery|kit|pack|class|"
    r"session|subscription))\s+(?:(?:get|gets|save|saves|enjoy|enjoys|is|are|at)\s+)?$",
    re.IGNORECASE,
)
SAVE = re.compile(
    r"\bsave\s+(?:up to\s+)?(?:\d{1,2}(?:\.\d+)?\s?%|[$€£]\s?\d+(?:[.,]\d{2})?)"
    r"(?:\s+(?:on|when)\s+(?:[\w'-]+\s+){0,2}[\w'-]+)?",
    re.IGNORECASE,
)
BOGO = re.compile(
    r"\bbuy\s+(?:one|1|two|2|three|3)[,\s]+get\s+(?:one|1|two|2|a second|another)"
    r"(?:\s+(?:free|half[- ]off|half[- ]price|at half price|\d{1,2}\s?% off))?"
    r"(?:\s+on\s+(?:(?:all|every|any|our|your)\s+)?(?!this\b|today\b|until\b)[\w'-]+)?|"
    r"\bbogo\b|"
    r"\b(?:2|two|3|three)\s+for\s+(?:1|one|2|two|[$€£]\s?\d+(?:[.,]\d{2})?)\b",
    re.IGNORECASE,
)
FREE = re.compile(
    r"\bfree\s+(?:(?:standard|express|next-day|next day|2-day|two-day|worldwide|uk|us|eu)\s+)?"
    r"(?:shipping|delivery|returns|gift|samples?|trial|engraving|personali[sz]ation|"
    r"gift wrap(?:ping)?|tote|pouch)"
    r"(?:\s+(?:on|with|over|for)\s+(?:orders?\s+(?:over|above)\s+[$€£]?\s?\d+(?:[.,]\d{2})?|"
    r"(?:every|all|your first|each|any)\s+(?:[\w'-]+\s+){0,1}[\w'-]+))?",
    re.IGNORECASE,
)
BUNDLE = re.compile(
    r"\b(?:bundle|subscribe)\s+(?:and|&)\s+save(?:\s+(?:up to\s+)?(?:\d{1,2}(?:\.\d+)?\s?%|"
    r"[$€£]\s?\d+(?:[.,]\d{2})?))?(?!\w)",
    re.IGNORECASE,
)
SALE = re.compile(
    r"\b(?:(?:black friday|cyber monday|boxing day|prime day|singles'? day|mother'?s day|"
    r"father'?s day|valentine'?s(?: day)?|christmas|holiday|summer|spring|winter|fall|autumn|"
    r"end[- ]of[- ](?:season|summer|year)|back[- ]to[- ]school|labou?r day|memorial day|"
    r"easter|new year'?s?|anniversary|birthday|flash|clearance|warehouse|semi-annual|"
    r"annual|friends (?:and|&) family|vip|weekend|mid-season|biggest|big)\s+)?sale\b",
    re.IGNORECASE,
)
OCCASION = re.compile(
    r"\b(?:black friday|cyber monday|boxing day|prime day|mother'?s day|father'?s day|"
    r"valentine'?s day|christmas|hanukkah|diwali|eid|lunar new year|new year'?s?(?: eve)?|"
    r"back[- ]to[- ]school|easter|halloween|thanksgiving)\b",
    re.IGNORECASE,
)
DEADLINE = re.compile(
    rf"\b(?:(?:offer\s+|sale\s+)?(?:ends?|ending|until|till|thru|through|only until|"
    rf"valid until|valid through|expires|runs until)\s+(?:this\s+|next\s+)?"
    rf"(?:today|tonight|tomorrow|midnight|{DAYS}(?:\s+(?:at\s+)?midnight)?|weekend|week|"
    rf"month|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?"
    rf"(?:\s+of)?\s+(?:{MONTHS})|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)|"
    rf"(?:today|tonight|this weekend|this week|(?:\d+|one|two|three)\s+(?:days?|hours?)|"
    rf"(?:this\s+)?(?:{DAYS}))\s+only|"
    rf"(?:for\s+)?(?:a\s+)?limited\s+time(?:\s+only)?|while\s+(?:stocks?|supplies)\s+lasts?|"
    rf"last chance|ends soon|final hours|(?:one|1)[- ]day only|"
    # "Order by May 5": when to order for a date, never a benefit of its own.
    rf"(?:order|shop|buy)\s+(?:by|before)\s+(?:{DAYS}|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{MONTHS})|\d{{1,2}}/\d{{1,2}}))\b",
    re.IGNORECASE,
)
# A time frame said in the same sentence as an offer belongs to it ("20% off this week");
# elsewhere ("roasted fresh every week") it is the product's. Each reads after "Ends".
TIME_FRAME = re.compile(r"\b(?:this\s+(?:week|weekend|month)|today|tonight)\b", re.IGNORECASE)
CODE = re.compile(
    r"\b(?:(?:use|with|using|enter|apply)\s+(?:the\s+)?)?(?:(?:promo|discount|coupon|offer)\s+)?"
    r"(?:code|coupon)\s*:?\s*"
    r"(?P<code>(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9][A-Za-z0-9_-]{2,19})\b"
    r"(?:\s+at\s+checkout)?",
)

# --- quotes, proof, comparisons, calls to action --------------------------------------------

QUOTED = re.compile(
    r"[\"“„«]\s*(?P<text>[^\"“”„«»]{6,220}?)\s*[\"”“»]|"
    # Single quotes, whose closing one is not an apostrophe ("I've"): followed by no letter.
    r"(?<!\w)[\u2018'](?P<single>[^\u2018\u2019]{6,220}?)[\u2019'](?!\w)"
)
# "Testimonial: Best coffee I've had - Sam K." without quotation marks.
LABELLED_QUOTE_INLINE = re.compile(
    r"(?:^|(?<=[.!?])\s+|(?<=\s[-\u2013—])\s+)(?:customer\s+)?(?:review|testimonial|quote)s?"
    r"\s*:\s*"
    # The quote runs to its full stop, to a dash before its author, or to the end.
    r"(?P<text>[^.!?:]{6,220}?(?:[.!?]|(?=\s+[-\u2013—~]|\s*$)))",
    re.IGNORECASE,
)
# Praise that says nothing on its own ("Perfect for runners" gives the runners).
EMPTY_PRAISE = frozenset(
    (
        "perfect",
        "great",
        "amazing",
        "awesome",
        "ideal",
        "best",
        "good",
        "nice",
        "excellent",
        "ultimate",
        "wonderful",
        "fantastic",
        "incredible",
        "stunning",
    )
)
# A name after a quote: "- Maya R.", "says Tom from Leeds", "by Dr. Lee". An initial's full
# stop ends the name ("- Priya S. Use it in the ad" is Priya S.).
_NAME = (
    # Not a sentence going on after a dash ("- As one buyer put it", "- Use code ...").
    r"(?!(?:As|And|But|So|Or|The|This|That|Our|We|You|It|Use|Make|Get|Buy|Shop|Order|Try|"
    r"Free|Save|Now|Only|Plus|With|For|Ends)\b)"
    r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.\s+)?(?:[A-Z]\.\s+)?[A-Z][\w'-]*"
    r"(?:\s+(?:[A-Z][\w'-]*|from\s+[A-Z][\w'-]*)){0,3}(?:(?<=\s[A-Z])\.)?"
)
ATTRIBUTION_AFTER = re.compile(
    rf"^\s*(?:[-\u2013—~]+\s*|,?\s*(?:says|said|writes|wrote)\s+|,?\s*by\s+)(?P<author>{_NAME})"
)
ATTRIBUTION_BEFORE = re.compile(rf"(?P<author>{_NAME})\s+(?:says|said|wrote|writes)\s*:?\s*$")
# Who said it, when it is no one by name: "Customers say '...'", "One reviewer wrote: ...",
# "'...', says a happy customer", "'...' - verified buyer". These words are the attribution,
# never copy of their own.
_SPEAKER = (
    r"(?:(?:one|a|an|our|my|many|some|all|most|every|the|lots of)\s+)?"
    r"(?:(?:happy|verified|real|loyal|satisfied|first-time|repeat|recent)\s+)?"
    r"(?:customers?|buyers?|reviewers?|users?|clients?|shoppers?|members?|subscribers?|fans?|"
    r"people|everyone|folks|mums?|moms?|dads?|parents?|guests?)"
)
_SAYING = (
    r"(?:(?:keep|kept|always|often|love to|can't stop|won't stop)\s+)?"
    r"(?:say(?:s|ing)?|said|tell(?:s|ing)?(?:\s+(?:us|me))?|told\s+(?:us|me)|writes?|wrote|"
    r"raves?|agrees?|put it|call(?:s|ed)? it|describes? it)"
)
SPEAKER_BEFORE = re.compile(
    rf"(?:^|(?<=[\s.!?]))(?:(?:as|here's what|what)\s+)?{_SPEAKER}\s+{_SAYING}"
    rf"(?:\s+that)?\s*[:,]?\s*$",
    re.IGNORECASE,
)
SPEAKER_AFTER = re.compile(
    rf"^\s*(?:[-\u2013—~]+\s*|,?\s*(?:says|said|writes|wrote)\s+|,?\s*by\s+){_SPEAKER}"
    rf"(?=$|[\s.,;:!?])",
    re.IGNORECASE,
)
LABELLED_QUOTE = re.compile(
    r"^\s*(?:customer\s+)?(?:review|testimonial|quote)s?\s*(?:from\s+(?P<who>[A-Z][\w.'-]*"
    r"(?:\s+[A-Z][\w.'-]*){0,2})\s*)?:\s*(?P<text>.+?)\s*$",
    re.IGNORECASE,
)
PROOF = re.compile(
    r"\brated\s+\d(?:\.\d)?|\b\d(?:\.\d)?\s*(?:/\s*5|out of 5|stars?|★)|"
    r"\b\d[\d,.]*\s*k?\+?\s+(?:(?:five|5)-star\s+|happy\s+|verified\s+|satisfied\s+)?"
    r"(?:reviews|ratings|customers|buyers|users|members|subscribers|orders|families|"
    r"athletes|runners|parents)\b|\bawards?\b|\baward-winning\b|\bas seen (?:in|on)\b|"
    r"\b(?:customers|people|buyers|fans|reviewers)\s+(?:love|say|rave|agree)\b|\bloved by\b",
    re.IGNORECASE,
)
RIVAL = re.compile(
    r"\b(?:vs\.?|versus|instead of|rather than|unlike|(?:\w+er|more \w+|less \w+) than|"
    r"compared (?:to|with)|"
    r"compar(?:e[sd]?|ing)\s+(?P<ours>(?:[\w'-]+\s+){0,4}?)(?:to|with|against)|"
    r"switch(?:ing)? from|swap(?:ping)?|replace[sd]?|"
    r"(?:an\s+)?alternative to|ditch(?:ing)?|goodbye to)\s+"
    r"(?P<rival>\w[\w'-]*(?:\s+(?!and\b|but\b|that\b|which\b|with\b|for\b|because\b|so\b|"
    r"to\b)\w[\w'-]*){0,4})",
    re.IGNORECASE,
)
CTA_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsign[- ]?ups?\b|\bregister\b|\bjoin (?:the|our)\b", re.I), "Sign up"),
    (re.compile(r"\bsubscri(?:be|ption)s?\b", re.I), "Subscribe"),
    (re.compile(r"\bpre-?orders?\b|\border now\b", re.I), "Order now"),
    (re.compile(r"\blearn more\b", re.I), "Learn more"),
    (re.compile(r"\bshop now\b", re.I), "Shop now"),
    (
        re.compile(r"\bget (?:the |this )?offer\b|\bclaim (?:the |your )?(?:offer|deal)\b", re.I),
        "Get offer",
    ),
)

# Brand notes are often "Key: value" lines; the key says what the value is for.
CONTEXT_KEYS: dict[str, str] = {
    "tagline": "tagline",
    "slogan": "tagline",
    "motto": "tagline",
    "offer": "offer",
    "promo": "offer",
    "promotion": "offer",
    "deal": "offer",
    "discount": "offer",
    "code": "offer",
    "review": "quote",
    "reviews": "quote",
    "testimonial": "quote",
    "testimonials": "quote",
    "quote": "quote",
    "audience": "audience",
    "target": "audience",
    "target audience": "audience",
    "customers": "audience",
    "usp": "benefits",
    "usps": "benefits",
    "benefits": "benefits",
    "features": "benefits",
    "highlights": "benefits",
    "key benefits": "benefits",
    "selling points": "benefits",
    "mission": "statement",
    "about": "statement",
    "story": "statement",
    "proof": "proof",
    "social proof": "proof",
    "awards": "proof",
    "press": "proof",
}
KEYED = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]{1,20}?)\s*:\s*(?P<value>.+)$")
NOT_COPY = re.compile(r"#[0-9a-f]{3,8}\b|https?://|www\.|@\w|\.com\b|\S+@\S+", re.IGNORECASE)
CONNECTORS = re.compile(
    r"^(?:(?:and|also|plus|but|so|that|which|with|because|since|while|as|it|it's|its|it is|"
    r"they|they're|they are|this|these|highlighting|highlight|emphasi[sz]ing|emphasi[sz]e|"
    r"showing|show|showcasing|showcase|focus(?:ing)? on|mention(?:ing)?|stress(?:ing)?|"
    r"featuring|feature|about|how|the fact that|talk about|tell (?:people|them|customers) "
    r"(?:that|about)?|remind (?:people|them) (?:that)?|point out(?: that)?|say(?:ing)?"
    r"(?: that)?)\s+)+",
    re.IGNORECASE,
)
ASK = re.compile(
    r"^\s*(?:please\s+)?(?:(?:i|we)\s+(?:need|want|would like|'d like)\s+(?:to\s+)?)?"
    r"(?:(?:highlight|emphasi[sz]e|focus on|show(?:case)?|mention|feature|sell|promote|"
    r"advertise|market|push|stress|include|talk about|list|call out|point out|give|"
    r"remind (?:people|them)|(?:get|encourage|convince|persuade|help|invite) (?:people|"
    r"customers|shoppers|them|folks|users|buyers|everyone) to)\b\s*(?:(?:how|that)\s+)?)?"
    r"(?:(?:(?:the|our|its|their|some)\s+)?(?:(?:key|main|top|\w+'s)\s+)?"
    r"(?:benefits?|features?|reasons?(?:\s+to\s+(?:buy|try|choose|shop|love))?|fact|"
    r"following|points?|selling points|usps?)\b\s*(?:that\b)?)?\s*[:,-]?\s*",
    re.IGNORECASE,
)
FILLER = _words(
    "why is are the a an with and or but to of for on in how what who that this it about "
    "our my your their its which so also plus just"
)
# Words that join a clause to the phrase it finishes: "hydrates while you sleep", "dries
# overnight so you can pack light". The clause stays with its phrase.
JOINS = re.compile(
    r"\b(?:while|whilst|so|so that|without|because|since|when|whenever|until|as|even when|"
    r"even if)\s+(?=\S)",
    re.IGNORECASE,
)
# A list item that is such a clause, after a comma (", so you can work for hours").
JOINED_CLAUSE = re.compile(
    r"^\s*(?:while|whilst|so|so that|without|because|since|even when|even if)\b", re.IGNORECASE
)
# Who the ad is shown to, not who the product is for: "people who left it in their cart".
TARGETING = re.compile(
    r"\bwho\s+(?:have\s+|had\s+)?(?:left|abandoned|visited|viewed|added|browsed|clicked|"
    r"saw|seen|liked|followed|engaged|interacted|didn't|did not|haven't|have not)\b|"
    r"\b(?:abandoned|left in their)\s+carts?\b|\blookalike\b",
    re.IGNORECASE,
)
# A clause that names how the ad should sound: "Warm, friendly tone", "calm, premium feel".
TONE_NOTE = re.compile(r"\b(?:tone|voice|vibes?|feel|mood|energy|style)\s*[.!]*$", re.IGNORECASE)
# A call to action on its own ("Buy now"): the CTA button says it.
CTA_ONLY = re.compile(
    r"^(?:buy|shop|order|get (?:it|yours|one)|grab (?:it|yours)|try (?:it|them)|learn more|"
    r"sign up|subscribe|check (?:it|us) out)(?:\s+(?:now|today|here|online))?$",
    re.IGNORECASE,
)
COPULA = re.compile(r"^(?:is|are|'s|'re|being)\s+", re.IGNORECASE)
SPLIT_CLAUSES = re.compile(r"\s*(?:[.!?;:\n]+(?=\s|$)|\s[-\u2013—]+\s|\s*[—\u2013]\s*|\s*\|\s*)\s*")
