"""The words the Meta-mutation reader knows: Meta's things and places, the verbs that act on
them (with the rules each is tried under), the words that frame a request, and the spellings
made one ("ad set", "ad-set", "adset").

Plain data and compiled patterns, so they can grow without touching the reading in
``meta_text`` or the rules in ``meta``.
"""

from __future__ import annotations

import re


def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


AMOUNT = "<amount>"
PERCENT = "<percent>"
QUOTE = "<quote>"
ADDRESS = "<address>"
RATIO = "<ratio>"

PLATFORMS = words_of("meta facebook instagram messenger audiencenetwork threads")
LOCATIONS = words_of("adsmanager businessmanager adaccount adaccounts")
OTHER_PLATFORMS = words_of(
    "tiktok pinterest youtube google snapchat linkedin twitter shopify amazon etsy klaviyo reddit"
)
LIVE = words_of("live running active published launched delivering")
# Where a post or an ad ends up on a platform: "on my Facebook page", "to my Instagram feed".
PLACES = words_of("page pages feed story stories profile account accounts grid timeline wall shop")

# Meta's things, and what a request about each acts on.
NOUNS: dict[str, str] = {
    **dict.fromkeys(("campaign", "campaigns", "objective", "advantageplus"), "campaign"),
    **dict.fromkeys(("adset", "adsets"), "ad_set"),
    **dict.fromkeys(("ad", "ads", "advert", "adverts", "creative", "creatives"), "ad"),
    **dict.fromkeys(("post", "posts", "reel", "reels", "boost", "boosts"), "post"),
    **dict.fromkeys(("budget", "budgets", "spend", "cbo", "abo"), "budget"),
    **dict.fromkeys(("bid", "bids", "bidcap", "costcap", "bidstrategy", "bidding"), "bid"),
    **dict.fromkeys(
        (
            "audience",
            "audiences",
            "targeting",
            "lookalike",
            "lookalikes",
            "interests",
            "exclusions",
            "demographics",
            "retargeting",
        ),
        "audience",
    ),
    **dict.fromkeys(("placement", "placements", "audiencenetwork"), "placement"),
    **dict.fromkeys(("schedule", "dayparting"), "schedule"),
    **dict.fromkeys(
        ("adaccount", "adaccounts", "businessmanager", "pixel", "paymentmethod", "billing"),
        "account",
    ),
}
# Targets that may also be Krev's own creative ("update the ad with a warmer palette").
AMBIGUOUS = frozenset({"ad", "post"})
STRUCTURE = frozenset({"campaign", "ad_set"})
# A Meta noun followed by one of these only describes it: "the campaign images", "ad copy".
CREATIVE = words_of(
    "image images photo photos picture pictures video videos copy headline headlines hook hooks "
    "caption captions concept concepts idea ideas theme themes look style styles brief visual "
    "visuals graphic graphics banner banners text font fonts color colors colour colours "
    "background backgrounds music script scripts angle angles thumbnail thumbnails logo layout "
    "cta button voiceover format formats size sizes dimensions ratio persona personas mockup "
    "mockups shot shots scene scenes template templates palette vibe mood variant variants "
    "version versions hero carousel carousels slideshow slideshows collection line lines "
    "wording message tagline slogan claim badge sticker label overlay callout"
)
PRONOUNS = words_of("it them these those this that everything all both one ones")
WINNERS = words_of(
    "winner winners winning loser losers losing best worst top underperformer underperformers "
    "underperforming performer performers"
)
PEOPLE = words_of(
    "team agency employee employees colleague colleagues partner partners assistant freelancer "
    "freelancers contractor manager marketer marketers user users admin admins person people "
    "someone cofounder boss staff member members designer editor"
)
SHOPPERS = words_of(
    "purchasers buyers customers visitors followers fans subscribers people users men women "
    "shoppers abandoners engagers converters leads"
)
ACCESS = words_of("access admin permission permissions role roles")
SIZES = words_of(
    "size resolution aspect px pixels bigger smaller larger width height square vertical "
    "landscape portrait"
)
DETERMINERS = words_of(
    "the a an my our your their his her its this these those that all both every each some any "
    "new old current"
)

FILLERS = words_of(
    "please kindly just also now then so ok okay alright right quickly immediately asap rightnow "
    "goahead actually first next finally lastly hey hi hello krev yes yeah yep sure great cool "
    "thanks oh btw today tonight tomorrow again simply definitely really and plus maybe perhaps "
    "and"
)
NEGATIONS = words_of("not never no without nothing nor neither")
MODALS = words_of("can could would will should shall must might may")
YOU = frozenset({"you"})
SUBJECTS = words_of("i we they he she")
WH = words_of("how what why when where which whether who")
QUESTION_AUX = words_of("do does did have has had are were")

HARD_BOUNDARY_WORDS = words_of(
    "but though although however except otherwise because since so while whereas cause "
    "meanwhile anyway"
)
SOFT_BOUNDARY_WORDS = words_of("and then plus or & +")
PREPOSITIONS = words_of(
    "to on in into onto for from of with by at behind across under over after before per via "
    "through than as until till within about like toward towards between among during around "
    "against without"
)
RELATIVES = words_of("that which who whose where when while if")
PARTICLE_WORDS = words_of("off on up down back out live running active")
OWN = words_of("myself ourselves")

TRAILING = words_of("please now then asap rightnow today tonight tomorrow again immediately thanks")

MADE = words_of(
    "made created wrote generated designed did shot built rendered drafted prepared produced"
)

WHEN_MADE = words_of(
    "just already recently earlier yesterday today last this week night morning month before"
)

INTO = words_of("to on in into onto inside")

EDITS = words_of(
    "change adjust update modify edit tweak switch optimize fix rename restructure consolidate "
    "merge split reset extend set move"
)

SETTINGS_VERBS = words_of("make use cap limit restrict narrow broaden expand widen")

# Words that put "target women 25-34" in Meta's targeting rather than in a creative brief.
TARGETING_CONTEXT = words_of(
    "adset adsets campaign campaigns audience audiences targeting lookalike placements"
)
CAMPAIGN_SETTINGS = words_of(
    "budget budgets objective adset adsets targeting bidcap costcap cbo abo"
)

# --- tokens ---------------------------------------------------------------------------------

_PER = r"(?:\s?(?:/|per|a|an|each)\s?(?:day|d|week|wk|month|mo)\b|\s?(?:daily|weekly|monthly)\b)?"
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_AMOUNT = (
    rf"(?:us\$|[$€£¥]|\b(?:usd|eur|gbp)\s?){_NUMBER}(?:\s?[km]\b)?{_PER}"
    rf"|\b{_NUMBER}\s?[km]?\s?(?:usd|eur|gbp|dollars?|bucks|euros?|pounds?|quid)\b{_PER}"
    rf"|\b{_NUMBER}\s?(?:/|per|a)\s?(?:day|week|month)\b"
)
TOKEN = re.compile(
    r"(?P<quote>(?<!\w)['\u2018\"\u201c][^'\u2019\"\u201d\n]{1,200}['\u2019\"\u201d](?!\w))"
    r"|(?P<address>\b(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    rf"|(?P<amount>{_AMOUNT})"
    r"|(?P<percent>\b\d+(?:\.\d+)?\s?(?:%|percent\b))"
    r"|(?P<ratio>\b\d+\s?[:x\u00d7]\s?\d+\b)"
    r"|(?P<word>[^\W_]+(?:['\u2019\-][^\W_]+)*\+?['\u2019]?)"
    r"|(?P<punct>[.!?;:,()\[\]{}\n\"\u2014\u2013\u2026]|(?<!\S)-(?!\S))",
    re.IGNORECASE,
)

# One spelling for each word or contraction the rules know.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "dont": ("do", "not"),
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "wont": ("will", "not"),
    "won't": ("will", "not"),
    "can't": ("can", "not"),
    "shan't": ("shall", "not"),
    "let's": ("let", "us"),
    "lets": ("let", "us"),
    "wanna": ("want", "to"),
    "gonna": ("going", "to"),
    "gotta": ("got", "to"),
    "u": ("you",),
    "ur": ("your",),
    "pls": ("please",),
    "plz": ("please",),
    "thx": ("thanks",),
    "fb": ("facebook",),
    "ig": ("instagram",),
    "insta": ("instagram",),
    "meta-owned": ("meta",),
    "ad-set": ("adset",),
    "ad-sets": ("adsets",),
    "ad-account": ("adaccount",),
    "ads-manager": ("adsmanager",),
    "ad-manager": ("adsmanager",),
    "adsmanager": ("adsmanager",),
    "ad-library": ("adlibrary",),
    "ads-library": ("adlibrary",),
    "look-alike": ("lookalike",),
    "look-alikes": ("lookalikes",),
    "lal": ("lookalike",),
    "set-up": ("setup",),
    "log-in": ("login",),
    "re-launch": ("relaunch",),
    "un-pause": ("unpause",),
    "re-activate": ("reactivate",),
    "re-start": ("restart",),
    "advantage+": ("advantageplus",),
    "optimise": ("optimize",),
    "authorise": ("authorize",),
    "e-mail": ("email",),
}
IS_AFTER = words_of("it that what there here he she who where how everything")

# Words written as two or three: the merged spelling.
MERGES: dict[tuple[str, ...], str] = {
    ("go", "ahead", "and"): "goahead",
    ("as", "soon", "as", "possible"): "asap",
    ("business", "manager"): "businessmanager",
    ("business", "suite"): "businessmanager",
    ("business", "center"): "businessmanager",
    ("business", "portfolio"): "businessmanager",
    ("ads", "manager"): "adsmanager",
    ("ad", "manager"): "adsmanager",
    ("ad", "account"): "adaccount",
    ("ads", "account"): "adaccount",
    ("ad", "accounts"): "adaccounts",
    ("ad", "library"): "adlibrary",
    ("ads", "library"): "adlibrary",
    ("bid", "cap"): "bidcap",
    ("bid", "caps"): "bidcap",
    ("cost", "cap"): "costcap",
    ("bid", "strategy"): "bidstrategy",
    ("look", "alike"): "lookalike",
    ("payment", "method"): "paymentmethod",
    ("audience", "network"): "audiencenetwork",
    ("advantage", "plus"): "advantageplus",
    ("target", "audience"): "targetaudience",
    ("target", "market"): "targetaudience",
    ("target", "demographic"): "targetaudience",
    ("set", "up"): "setup",
    ("spin", "up"): "spinup",
    ("log", "in"): "login",
    ("log", "into"): "login",
    ("sign", "in"): "login",
    ("sign", "into"): "login",
    ("go", "live"): "golive",
    ("go", "ahead"): "goahead",
    ("right", "now"): "rightnow",
    ("right", "away"): "rightnow",
    ("thank", "you"): "thanks",
    # "why don't you pause it" asks, "why not launch it" suggests
    ("why", "do", "not", "you"): "you",
    ("why", "not"): "goahead",
    ("do", "not", "forget", "to"): "remember",
    ("ad", "sets"): "adsets",
}
MERGE_LONGEST = max(len(key) for key in MERGES)
# "an ad set in a kitchen" is an ad whose scene is set somewhere, not an ad set.
SCENE_PREPOSITIONS = words_of(
    "in on at against inside outside near among amid beside under by over to during"
)
INDEFINITE = words_of("a an another one some")


# --- verbs ----------------------------------------------------------------------------------


def _verbs(classes: str, *lemmas: str) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(lemmas, tuple(classes.split()))


# Each verb the rules read, with the rules it is tried under, in order. "particle" verbs mean
# something only with their particle ("turn ... off", "push ... live").
VERBS: dict[str, tuple[str, ...]] = {
    **_verbs("launch", "launch", "relaunch", "publish", "republish", "deploy", "golive"),
    **_verbs("boost raise", "boost"),
    **_verbs("promote", "promote"),
    **_verbs("publish_to", "upload", "send", "export", "submit", "post"),
    **_verbs("publish_to account", "share"),
    **_verbs("particle publish_to raise", "push"),
    **_verbs("particle publish_to set", "put"),
    **_verbs("activate", "activate", "run", "enable"),
    **_verbs("activate create", "start"),
    **_verbs("resume", "unpause", "resume", "restart", "reactivate", "unarchive"),
    **_verbs("particle", "turn", "shut", "take", "roll", "dial", "ramp", "get"),
    **_verbs("particle set", "switch", "set"),
    **_verbs("particle set create", "make"),
    **_verbs("pause", "pause", "stop", "halt", "kill", "disable", "deactivate", "end", "cancel"),
    **_verbs("pause", "pull"),
    **_verbs("delete", "delete", "archive", "trash", "erase", "unpublish"),
    **_verbs("account delete set", "remove"),
    **_verbs("duplicate", "duplicate", "clone", "copy"),
    **_verbs("scale", "scale"),
    **_verbs(
        "raise",
        "raise",
        "increase",
        "up",
        "bump",
        "lift",
        "double",
        "triple",
        "quadruple",
        "halve",
        "lower",
        "decrease",
        "reduce",
        "cut",
        "drop",
        "trim",
        "slash",
    ),
    **_verbs(
        "set",
        "change",
        "adjust",
        "update",
        "modify",
        "edit",
        "tweak",
        "shift",
        "reallocate",
        "allocate",
        "optimize",
        "fix",
        "rename",
        "swap",
        "replace",
        "extend",
        "narrow",
        "broaden",
        "expand",
        "widen",
        "restrict",
        "limit",
        "cap",
        "use",
        "restructure",
        "consolidate",
        "merge",
        "split",
        "reset",
        "move",
        "spend",
        "throw",
        "pour",
    ),
    **_verbs("account set", "give"),
    **_verbs("account create set", "add"),
    **_verbs("create", "create", "build", "setup", "spinup", "open"),
    **_verbs("target", "target", "retarget", "exclude", "include"),
    **_verbs("schedule", "schedule", "reschedule"),
    **_verbs(
        "account",
        "invite",
        "grant",
        "revoke",
        "connect",
        "link",
        "disconnect",
        "unlink",
        "integrate",
        "sync",
        "authorize",
        "verify",
        "close",
        "assign",
        "transfer",
        "login",
    ),
    **_verbs("appeal", "appeal"),
}

# What a particle makes of its verb: "turn ... off" pauses, "push ... live" launches.
PARTICLES: dict[str, dict[str, str]] = {
    "turn": {"off": "pause", "on": "resume"},
    "switch": {"off": "pause", "on": "resume"},
    "shut": {"off": "pause", "down": "pause"},
    "take": {"down": "pause", "off": "pause", "live": "launch"},
    "roll": {"out": "launch"},
    "dial": {"up": "raise", "down": "raise", "back": "raise"},
    "ramp": {"up": "raise", "down": "raise"},
    "get": {"live": "launch", "running": "launch"},
    "make": {"live": "launch"},
    "push": {"live": "launch", "out": "launch"},
    "put": {"live": "launch"},
    "set": {"live": "launch", "active": "resume"},
}
# Past participles asked for: "I'd like the campaign paused", "get the budget raised".
PARTICIPLES: dict[str, str] = {
    **dict.fromkeys(("paused", "stopped", "killed", "disabled", "deactivated", "ended"), "pause"),
    **dict.fromkeys(("launched", "live"), "launch"),
    **dict.fromkeys(("published",), "publish"),
    **dict.fromkeys(("boosted",), "boost"),
    **dict.fromkeys(("unpaused", "resumed", "restarted", "reactivated"), "resume"),
    **dict.fromkeys(
        (
            "raised",
            "increased",
            "lowered",
            "decreased",
            "reduced",
            "doubled",
            "halved",
            "bumped",
            "upped",
            "cut",
        ),
        "raise",
    ),
    **dict.fromkeys(("deleted", "removed", "archived"), "delete"),
    **dict.fromkeys(("duplicated", "cloned"), "duplicate"),
    **dict.fromkeys(("scaled",), "scale"),
    **dict.fromkeys(("scheduled",), "schedule"),
    **dict.fromkeys(("changed", "updated", "edited", "adjusted", "extended"), "change"),
    **dict.fromkeys(("turned", "switched", "shut"), "turn"),
    **dict.fromkeys(("uploaded", "posted"), "upload"),
}


def _gerunds(lemma: str) -> tuple[str, ...]:
    forms = [lemma + "ing"]
    if lemma.endswith("e"):
        forms.append(lemma[:-1] + "ing")
    if len(lemma) > 2 and lemma[-1] not in "aeiouwxy" and lemma[-2] in "aeiou":
        forms.append(lemma + lemma[-1] + "ing")
    return tuple(forms)


GERUNDS: dict[str, str] = {form: lemma for lemma in VERBS for form in _gerunds(lemma)}
PARTICIPLE_TRIGGERS = words_of("want need like get have")
