"""Whether a piece of the merchant's words can stand as a line of ad copy on its own.

The brief reader cuts briefs into pieces (benefits, proof, an audience); a cut in the wrong
place leaves a piece a merchant would never run: "Week with" (what an offer left behind),
"You sleep" (half of "hydrates while you sleep"), "Customers say" (the words before a quote).
A piece is a phrase when neither end is a function word that points at words it lost, it holds
a word that says something about the product (not a function word, a time word or the
brief's own instruction vocabulary), and it is more than a subject and its verb.
"""

from __future__ import annotations

import re

__all__ = ["is_phrase", "trim_dangling"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than one per line)."""
    return frozenset(text.split())


# A phrase that ends on one of these lost the words it pointed at ("Week with", "for the").
DANGLING_END = _words(
    "a an the and or but nor so yet with without for to of in on at by from into onto over "
    "under about than then as while when whenever if because since until till unless though "
    "although whether which that who whom whose this these those my our your their his her "
    "its is are was were be been being am do does did has have had can could will would "
    "shall should may might must not very more most also just plus per via like vs versus "
    "&"
)
# A phrase that starts on one of these is the second half of something ("while you sleep",
# "and dries fast", "of the week"). "The", "this", "for", "in" start whole phrases ("In three
# colors"); they are judged by the words that follow.
DANGLING_START = _words(
    "and or but nor so yet than of while whereas because since though although unless "
    "whether which whom whose then if to with by from as & vs versus"
)
# Words that say nothing about a product on their own.
FUNCTION = DANGLING_END | _words(
    "i me we us you he him she they them it it's its our ours mine yours theirs one ones "
    "i'm we're you're they're we've you've i've we'll you'll there's here's that's "
    "all any each every some no none many much few lot lots such same other another "
    "here there now again ever never always still even only really too well back up "
    "down out off get gets got go goes make makes let lets what how why where who"
)
# A time frame says when an offer ends, not what the product does ("this week", "today").
TIME = _words(
    "today tonight tomorrow yesterday week weeks weekend weekends month months year years "
    "day days hour hours minute minutes morning evening night midnight monday tuesday "
    "wednesday thursday friday saturday sunday"
)
# How a brief talks about the ad itself ("make a social proof ad", "launch post").
INSTRUCTION = _words(
    "ad ads advert adverts advertisement creative creatives campaign campaigns brief copy "
    "post posts banner promo headline headlines caption captions variant variants version "
    "versions cta create write generate design draft need want please launch launching "
    "social proof testimonial review comparison style tone vibe vibes mood punchy catchy "
    "short long instagram facebook meta tiktok story stories reel reels feed mention "
    "highlight emphasise emphasize focus show showcase"
)
# Who a bare "X says" / "X loves" fragment is about.
SPEAKERS = _words(
    "i you we they he she it everyone everybody someone people customers customer buyers "
    "buyer reviewers reviewer users user fans fan clients client shoppers shopper members "
    "subscribers parents moms mums kids folks guests readers"
)
# Verbs whose object was the quote they introduced ("Customers say", "One reviewer wrote").
SPEECH = _words(
    "say says said saying tell tells told telling write writes wrote writing agree agrees "
    "rave raves put call calls called describe describes described"
)
# Words before a speaker ("one reviewer", "our customers", "happy buyers").
SPEAKER_LEADS = _words("a an one our my the many some all most every real happy verified loyal")
# "Easy to pull on", "slip it on", "plug in": a particle that finishes its verb, not a
# preposition that lost its noun.
PARTICLES = _words("on in over off")
PHRASAL = _words(
    "pull slip put plug log check try turn switch take fold roll zip clip snap tuck sign opt "
    "carry pop throw wash wipe fill top kick hand bring it them"
)
_TOKEN = re.compile(r"[\w'\u2019%$€£&+-]+")


def _tokens(text: str) -> list[str]:
    return [token.lower().replace("\u2019", "'") for token in _TOKEN.findall(text)]


def _says_something(token: str) -> bool:
    if token in FUNCTION or token in TIME or token in INSTRUCTION:
        return False
    return sum(ch.isalpha() for ch in token) >= 2 or any(ch.isdigit() for ch in token)


def is_phrase(text: str) -> bool:
    """Whether ``text`` reads as a whole phrase: no function word dangling at either end, a
    word that says something about the product, and more than a bare subject and verb
    ("you sleep", "customers say")."""
    tokens = _tokens(text)
    if not tokens:
        return False
    if tokens[0] in DANGLING_START or _dangles(tokens):
        return False
    content = [token for token in tokens if _says_something(token)]
    if not content:
        return False
    # "You sleep", "Customers say", "one reviewer wrote", "our customers keep telling us".
    led = len(tokens) > 1 and tokens[0] in SPEAKER_LEADS and tokens[1] in SPEAKERS
    if tokens[0] in SPEAKERS or led:
        rest = tokens[2:] if led else tokens[1:]
        if len(rest) <= 1:
            return False
        if any(token in SPEECH for token in rest) and len(rest) <= 3:
            return False
    return True


def _dangles(tokens: list[str]) -> bool:
    if tokens[-1] not in DANGLING_END:
        return False
    return not (tokens[-1] in PARTICLES and len(tokens) > 1 and tokens[-2] in PHRASAL)


_EDGE = ",;:-\u2013\u2014"


def trim_dangling(text: str) -> str:
    """``text`` without the function words that dangle at its end ("20% off the" -> "20%
    off"), and without a trailing comma."""
    words = text.split()
    while words and words[-1].lower().strip(_EDGE).replace("\u2019", "'") in DANGLING_END:
        words.pop()
    return " ".join(words).rstrip(_EDGE + " ")
