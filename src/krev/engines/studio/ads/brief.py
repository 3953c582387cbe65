"""What a brief and a brand's notes give the copywriter to say: the product as the merchant
names it, benefit phrases, the audience, an offer, a customer quote, proof, what the product is
compared with, a tagline, and statements about the brand.

Everything here is lifted from the merchant's own words; nothing is made up. The brief's
instructions to us ("Create a direct response ad for ...", "make it punchy", "don't mention
price") are recognised and left out, so the copy never repeats them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from krev.engines.studio.ads import brief_cues as cues
from krev.engines.studio.ads.phrases import SPEAKERS, is_phrase, trim_dangling
from krev.engines.studio.taxonomy import match_taxonomy

__all__ = [
    "Benefit",
    "CopyFacts",
    "Offer",
    "Quote",
    "read_brief",
]


@dataclass(frozen=True)
class Benefit:
    text: str
    """A fragment in the merchant's words, first letter as written: "keeps you full",
    "leak-proof lid", "handcrafted in Italy"."""
    predicate: bool = False
    """A verb phrase that can follow a singular product: "{product} keeps you full"."""


@dataclass(frozen=True)
class Offer:
    text: str
    """The deal as stated: "20% off", "20% off everything", "Free shipping", "Summer sale"."""
    bare: bool = False
    """A "20% off" with nothing after it, so a product name may follow ("20% off Day Shift")."""
    deadline: str | None = None
    """"ends Sunday", "today only", "until March 3"."""
    code: str | None = None
    occasion: str | None = None
    """"Summer sale", "Black Friday" when the brief names one beside the deal."""
    extra: str | None = None
    """A second perk stated beside the deal ("free shipping")."""


@dataclass(frozen=True)
class Quote:
    text: str
    author: str | None = None


@dataclass(frozen=True)
class CopyFacts:
    subject: str | None = None
    """The product as the brief names it ("protein bar", "vitamin C serum")."""
    subject_hint: str | None = None
    """Words before "ad" that may name the product ("Protein bar ad: ...")."""
    benefits: tuple[Benefit, ...] = ()
    audience: str | None = None
    offer: Offer | None = None
    quote: Quote | None = None
    proof: str | None = None
    """Stated social proof: "Rated 4.8 by 2,000 customers"."""
    rival: str | None = None
    """The ordinary alternative the brief compares with ("single-use plastic"); never a
    named brand."""
    tagline: str | None = None
    statements: tuple[str, ...] = ()
    """Whole sentences from the brand's notes that can stand in the body as written."""
    cta: str | None = None
    """A Meta CTA label the brief asks for ("sign up" -> "Sign up")."""
    occasion: str | None = None
    """A season or event without a deal ("Mother's Day")."""
    notes: list[str] = field(default_factory=list, compare=False)
    """What was set aside, for debugging."""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _strip_edges(text: str) -> str:
    return text.strip(" \t,;:-\u2013—.!?\"'()[]")


def _is_people(phrase: str) -> bool:
    words = phrase.lower().split()
    if not words:
        return False
    if "who" in words or "that" in words:
        return words[0] in cues.PEOPLE or words[0] in ("people", "anyone", "those", "everyone")
    last = words[-1]
    return last in cues.PEOPLE or last.endswith(("lovers", "fans", "owners", "enthusiasts"))


def is_predicate(fragment: str) -> bool:
    """Whether ``fragment`` starts with a third-person verb ("keeps you full")."""
    words = fragment.split()
    if len(words) == 1:  # "hydrates"
        return words[0].lower() in cues.VERBS_3RD
    if not words:
        return False
    first = words[0].lower()
    if first in cues.NOT_VERBS or not first.endswith("s") or first.endswith(("ss", "us", "'s")):
        return False
    return first in cues.VERBS_3RD or words[1].lower() in cues.PREDICATE_NEXT


def _cut_out(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " + text[span[1] :]


@dataclass
class _Reading:
    """Facts gathered while reading; frozen into ``CopyFacts`` at the end."""

    subject: str | None = None
    subject_hint: str | None = None
    benefits: list[Benefit] = field(default_factory=list)
    audience: str | None = None
    offer_text: str | None = None
    offer_bare: bool = False
    deadline: str | None = None
    code: str | None = None
    sale: str | None = None
    extra: str | None = None
    quote: Quote | None = None
    proof: str | None = None
    rival: str | None = None
    tagline: str | None = None
    statements: list[str] = field(default_factory=list)
    cta: str | None = None
    occasion: str | None = None
    notes: list[str] = field(default_factory=list)

    def add_benefit(self, fragment: str) -> None:
        text = _strip_edges(_squash(fragment))
        if len(text) > 90:
            # A clause too long to print keeps its first phrase ("dries overnight" of
            # "dries overnight so you can pack light for ..."), where that reads whole.
            head = _strip_edges(cues.JOINS.split(text, maxsplit=1)[0])
            text = head if head != text and is_phrase(head) else text
        if len(text) < 3 or len(text) > 90 or not re.search(r"[A-Za-z]", text):
            return
        if not is_phrase(text):
            self.notes.append(f"not a whole phrase: {text!r}")
            return
        if text.lower() in {b.text.lower() for b in self.benefits}:
            return
        self.benefits.append(Benefit(text, is_predicate(text)))

    def facts(self) -> CopyFacts:
        offer = None
        main = self.offer_text or self.sale or self.extra
        if main is not None:
            offer = Offer(
                text=main,
                bare=self.offer_bare and main == self.offer_text,
                deadline=self.deadline,
                code=self.code,
                occasion=self.sale if self.sale and self.sale != main else None,
                extra=self.extra if self.extra and self.extra != main else None,
            )
        elif self.code is not None:
            offer = Offer(text=f"code {self.code}", deadline=self.deadline, code=self.code)
        return CopyFacts(
            subject=self.subject,
            subject_hint=self.subject_hint,
            benefits=tuple(self.benefits),
            audience=self.audience,
            offer=offer,
            quote=self.quote,
            proof=self.proof,
            rival=self.rival,
            tagline=self.tagline,
            statements=tuple(self.statements),
            cta=self.cta,
            occasion=self.occasion,
            notes=self.notes,
        )


def read_brief(brief: str, brand_context: str | None = None) -> CopyFacts:
    """The facts in a brief and the brand's notes, in the merchant's words."""
    reading = _Reading()
    _read_text(reading, brief, from_brief=True)
    if brand_context:
        for line in re.split(r"\n+", brand_context):
            _read_context_line(reading, line)
    facts = _whole_figures_only(reading.facts(), f"{brief}\n{brand_context or ''}")
    return _whole_phrases_only(facts)


def _whole_phrases_only(facts: CopyFacts) -> CopyFacts:
    """The facts without a piece that does not read whole ("Customers say", "for the"): a
    plain ad is better than a broken one. An offer keeps its words, less any that dangle."""

    def kept(text: str | None) -> str | None:
        return text if text is None or is_phrase(text) else None

    offer = facts.offer
    if offer is not None:
        offer = replace(
            offer,
            text=trim_dangling(offer.text),
            deadline=_trimmed(offer.deadline),
            occasion=_trimmed(offer.occasion),
            extra=_trimmed(offer.extra),
        )
        offer = offer if is_phrase(offer.text) or offer.code else None
    return replace(
        facts,
        subject=kept(facts.subject),
        subject_hint=kept(facts.subject_hint),
        audience=kept(facts.audience),
        offer=offer,
        proof=kept(facts.proof),
        rival=kept(facts.rival),
        tagline=kept(facts.tagline),
        statements=tuple(s for s in facts.statements if is_phrase(s.rstrip(".!?"))),
    )


def _trimmed(text: str | None) -> str | None:
    return (trim_dangling(text) or None) if text else None


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _figures(text: str) -> set[str]:
    return {figure.replace(",", "") for figure in _FIGURE.findall(text)}


def _whole_figures_only(facts: CopyFacts, given: str) -> CopyFacts:
    """The facts without any that holds a figure the merchant did not write whole: a cut that
    fell inside "1,000" or "4.9" would turn it into a figure ("000") nobody stated."""
    known = _figures(given)

    def kept(text: str | None) -> str | None:
        return text if text is None or _figures(text) <= known else None

    offer = facts.offer
    if offer is not None and kept(offer.text) is None:
        offer = None
    elif offer is not None:
        offer = replace(
            offer,
            deadline=kept(offer.deadline),
            code=kept(offer.code),
            occasion=kept(offer.occasion),
            extra=kept(offer.extra),
        )
    quote = facts.quote
    if quote is not None and (kept(quote.text) is None or kept(quote.author) != quote.author):
        quote = None
    return replace(
        facts,
        subject=kept(facts.subject),
        subject_hint=kept(facts.subject_hint),
        benefits=tuple(b for b in facts.benefits if kept(b.text) is not None),
        audience=kept(facts.audience),
        offer=offer,
        quote=quote,
        proof=kept(facts.proof),
        rival=kept(facts.rival),
        tagline=kept(facts.tagline),
        statements=tuple(s for s in facts.statements if kept(s) is not None),
        occasion=kept(facts.occasion),
    )


# --- reading --------------------------------------------------------------------------------


def _read_text(reading: _Reading, text: str, *, from_brief: bool) -> None:
    text = _squash(text)
    text = _take_quotes(reading, text)
    for pattern, label in cues.CTA_HINTS:
        if reading.cta is None and pattern.search(text):
            reading.cta = label
    text = _take_offer(reading, text)
    text = _take_rival(reading, text)
    for clause in cues.SPLIT_CLAUSES.split(text):
        _read_clause(reading, clause, from_brief=from_brief)


def _quote(text: str, author: str | None) -> Quote:
    """The quote as a customer's sentence: it starts with a capital ("my skin has never felt
    softer" is printed "My skin has never felt softer")."""
    text = _squash(text)
    return Quote(text[:1].upper() + text[1:], author)


def _take_quotes(reading: _Reading, text: str) -> str:
    while (found := cues.QUOTED.search(text)) is not None:
        quoted = _squash(found.group("text") or found.group("single")).strip(" ,")
        author = None
        start, end = found.start(), found.end()
        # Who said it goes with the quote; "Customers say" or "- verified buyer" names no
        # one, and is left out with it rather than read as copy.
        speaker_after = cues.SPEAKER_AFTER.match(text[end:])
        after = cues.ATTRIBUTION_AFTER.match(text[end:])
        speaker_before = cues.SPEAKER_BEFORE.search(text[:start])
        before = cues.ATTRIBUTION_BEFORE.search(text[:start])
        if speaker_after is not None:
            end += speaker_after.end()
        elif after is not None:
            author = after.group("author")
            end += after.end()
        if speaker_before is not None:
            start = speaker_before.start()
        elif before is not None and author is None and speaker_after is None:
            author = before.group("author")
            start = before.start()
        if len(quoted.split()) >= 2 and reading.quote is None:
            reading.quote = _quote(quoted, author)
        text = text[:start] + " . " + text[end:]
    labelled = cues.LABELLED_QUOTE_INLINE.search(text)
    if labelled is not None and reading.quote is None:
        end = labelled.end()
        after = cues.ATTRIBUTION_AFTER.match(text[end:])
        author = after.group("author") if after is not None else None
        end += after.end() if after is not None else 0
        reading.quote = _quote(_strip_edges(labelled.group("text")), author)
        text = text[: labelled.start()] + " . " + text[end:]
    return text


def _take_offer(reading: _Reading, text: str) -> str:
    """The offer's parts, sentence by sentence: a time frame ("this week") is the offer's
    only in a sentence that states an offer."""
    sentences = re.split(r"(?<=[.!?;])\s+", text)
    return _squash(" ".join(_take_offer_in(reading, sentence) for sentence in sentences))


def _take_offer_in(reading: _Reading, text: str) -> str:
    offered = False
    for pattern in (cues.BUNDLE, cues.PERCENT_OFF, cues.AMOUNT_OFF, cues.SAVE, cues.BOGO):
        found = pattern.search(text)
        if found is None:
            continue
        offered = True
        start, end = found.span()
        # Who gets it or what it is on belongs to it: "Subscribers save 10%" is not "Save
        # 10%", and "first box 50% off" leaves no "first box" behind.
        who = cues.OFFER_FOR.search(text[:start])
        if who is not None:
            start = who.start()
        if reading.offer_text is None:
            reading.offer_text = _squash(text[start:end])
            reading.offer_bare = (
                who is None
                and pattern in (cues.PERCENT_OFF, cues.AMOUNT_OFF)
                and reading.offer_text.lower().endswith("off")
            )
        text = _cut_out(text, (start, end))
    found = cues.FREE.search(text)
    if found is not None:
        offered = True
        if reading.extra is None:
            reading.extra = _squash(found.group(0))
        text = _cut_out(text, found.span())
    found = cues.CODE.search(text)
    if found is not None:
        offered = True
        if reading.code is None:
            reading.code = found.group("code")
        text = _cut_out(text, found.span())
    found = cues.DEADLINE.search(text)
    if found is not None:
        if reading.deadline is None:
            reading.deadline = _squash(found.group(0))
        text = _cut_out(text, found.span())
    found = cues.SALE.search(text)
    if found is not None:
        offered = True
        if reading.sale is None:
            words = _squash(found.group(0))
            reading.sale = words
        text = _cut_out(text, found.span())
    found = cues.TIME_FRAME.search(text) if offered else None
    if found is not None:
        if reading.deadline is None:
            reading.deadline = _squash(found.group(0))
        text = _cut_out(text, found.span())
    found = cues.OCCASION.search(text)
    if found is not None and reading.occasion is None:
        reading.occasion = _squash(found.group(0))
        text = _cut_out(text, found.span())
    return _squash(text)


def _take_rival(reading: _Reading, text: str) -> str:
    found = cues.RIVAL.search(text)
    if found is None:
        return text
    words = found.group("rival").split()
    while words and words[0].lower() in ("the", "a", "an", "your", "those", "that", "other"):
        words = words[1:]
    while words and words[-1].lower() in cues.SUBJECT_STOP | {"ones", "stuff"}:
        words = words[:-1]
    rival = " ".join(words)
    # A capitalised word is a named competitor: comparative claims about one are the
    # merchant's legal risk, so the copy contrasts with the ordinary alternative instead.
    named = any(word[:1].isupper() for word in words)
    if rival and not named and reading.rival is None and not cues.META_WORDS.search(rival):
        reading.rival = rival
    elif named:
        reading.notes.append(f"left out the named competitor {rival!r}")
    ours = found.group("ours") or ""
    return _squash(text[: found.start()] + " " + ours + " " + text[found.end() :])


def _read_clause(reading: _Reading, clause: str, *, from_brief: bool) -> None:
    clause = _strip_edges(clause)
    if not clause:
        return
    labelled = cues.LABELLED_QUOTE.match(clause)
    if labelled is not None and reading.quote is None:
        reading.quote = _quote(_strip_edges(labelled.group("text")), labelled.group("who"))
        return
    if cues.PROOF.search(clause) and len(clause) <= 70:
        if reading.proof is None:
            reading.proof = _proof_words(clause)
        return
    bare = cues.CONNECTORS.sub("", clause)  # "and use a calm voice" instructs as well
    if cues.DIRECTIVE.match(bare) or cues.TARGETING.search(bare) or cues.TONE_NOTE.search(bare):
        reading.notes.append(f"instruction: {clause}")
        return
    clause = _take_audience(reading, clause)
    subject_follows = False
    framed = cues.INSTRUCTION.match(clause)
    if framed is not None and framed.end() > 0:
        describing = [
            word
            for word in framed.group("describing").replace(",", " ").split()
            if word.lower() not in cues.STYLE_WORDS
            and word.lower() not in cues.FILLER
            and not cues.META_WORDS.search(word)
        ]
        if describing and reading.subject_hint is None:
            reading.subject_hint = " ".join(describing)
        preposition = (framed.group("preposition") or "").strip().lower()
        subject_follows = bool(preposition) and preposition not in ("with", "using")
        clause = clause[framed.end() :]
    clause = cues.ASK.sub("", clause, count=1)
    if cues.DIRECTIVE.match(clause):
        reading.notes.append(f"instruction: {clause}")
        return
    clause = _take_subject(reading, clause, at_start=subject_follows)
    for part in _split_list(clause):
        part = cues.COPULA.sub("", cues.CONNECTORS.sub("", _strip_edges(part)))
        # An "and" left at the end by what was cut after it (a quote, an offer) joins nothing.
        part = re.sub(r"(?:\s+(?:and|or|but|&))+$", "", part, flags=re.IGNORECASE)
        words = part.lower().split()
        if not words or all(word in cues.FILLER or word in cues.STYLE_WORDS for word in words):
            continue
        if cues.DIRECTIVE.match(part) or cues.META_WORDS.search(part):
            continue
        if from_brief and part.lower() in cues.GENERIC_SUBJECTS:
            continue
        if words[0] == "for" and not _is_people(part[4:]):
            continue
        if len(words) == 1 and words[0] in cues.EMPTY_PRAISE:
            continue
        if cues.CTA_ONLY.match(part):
            continue
        if _names_product(part):  # "Shampoo bar, zero plastic": the product, not a benefit
            # A capital that only starts the sentence is not a name: "Candle" is "candle".
            noun = part[:1].lower() + part[1:] if part.split()[0][1:].islower() else part
            reading.subject = reading.subject or noun
            continue
        reading.add_benefit(part)


def _names_product(phrase: str) -> bool:
    """Whether ``phrase`` is only a product noun ("Candle", "Water bottle", "Shampoo bar")."""
    words = phrase.lower().split()
    if not 1 <= len(words) <= 3 or re.search(r"\d", phrase):
        return False
    found = match_taxonomy([phrase])
    return found is not None and (found[0] in " ".join(words) or words[-1] == found[0])


def _proof_words(clause: str) -> str:
    words = _strip_edges(cues.CONNECTORS.sub("", clause))
    return words[:1].upper() + words[1:]


_AUDIENCE_CUE = re.compile(r"\b(?:for|targeting|aimed at)\s+", re.IGNORECASE)
_WHO = re.compile(r"^\s+who\s+(?:[\w'-]+\s+){0,4}?[\w'-]+(?=$|[,.;:!?]|\s+(?:and|but)\b)")


def _take_audience(reading: _Reading, clause: str) -> str:
    """ "for busy parents", "for people who hate mornings": the longest run of up to four
    words after "for" that ends in people."""
    for cue in _AUDIENCE_CUE.finditer(clause):
        words = re.match(r"(?:[\w'-]+(?:\s+|$)){1,4}", clause[cue.end() :])
        if words is None:
            continue
        run = words.group(0).split()
        for size in range(len(run), 0, -1):
            who = " ".join(run[:size])
            if not _is_people(who) or re.search(r"\d", who):
                continue
            end = cue.end() + clause[cue.end() :].index(run[size - 1]) + len(run[size - 1])
            more = _WHO.match(clause[end:])
            if more is not None:
                who += more.group(0)
                end += more.end()
            if reading.audience is None:
                reading.audience = _squash(who)
            return _squash(clause[: cue.start()] + " " + clause[end:])
    return clause


def _take_subject(reading: _Reading, clause: str, *, at_start: bool) -> str:
    """The noun phrase after "this/our/the" (or, right after "ad for", at the start), up to
    four words; the clause without it."""
    if at_start:
        found = re.match(rf"\s*(?:(?:{cues.DETERMINERS})\s+)?", clause, re.IGNORECASE)
    else:
        # "this/our ..." at the clause's start or after a word that introduces the product;
        # "Customers love the pocket" names no product.
        found = re.search(
            rf"(?:^|\b(?:for|about|of|on|promoting|featuring|showing|selling|to|why|how|"
            rf"makes?|meet|introducing|presenting|launching|announcing|try)\s+)"
            rf"(?:{cues.DETERMINERS})\s+|"
            # "We're launching a ...": "a" names the product only after a launch verb.
            rf"(?:^|\b)(?:(?:we're|we are|we)\s+)?(?:launching|introducing|presenting|"
            rf"announcing|meet)\s+(?:a|an)\s+",
            clause,
            re.IGNORECASE,
        )
    if found is None:
        return clause
    words = clause[found.end() :].split()
    taken: list[str] = []
    for index, word in enumerate(words):
        bare = word.rstrip(",.;:!?")
        if bare.lower() in cues.SUBJECT_STOP or len(taken) == 4:
            break
        if taken and _verb_follows(taken[-1], bare, words[index + 1 : index + 2]):
            break  # "our bottle keeps water cold": the product is "bottle"
        taken.append("" if not taken and bare.lower() in cues.SUBJECT_SKIP else bare)
        if bare != word:  # punctuation ends the noun phrase
            break
    subject = " ".join(word for word in taken if word)
    rest = _squash(clause[: found.start()] + " " + " ".join(words[len(taken) :]))
    if not subject or cues.META_WORDS.search(subject) or _is_people(subject):
        return clause
    if subject.lower().split()[-1] in SPEAKERS:  # "our customers keep telling us"
        return clause
    if subject.lower() in cues.GENERIC_SUBJECTS:
        return rest
    if reading.subject is None:
        reading.subject = subject
    elif reading.subject.lower() != subject.lower():
        return clause  # another noun ("a zip pocket for your keys") stays in its phrase
    return rest


def _verb_follows(before: str, word: str, after: list[str]) -> bool:
    """Whether ``word`` is the verb after a product noun: "bar keeps you full", "headphones
    block out noise"; not "dog treats made with chicken" (a noun that is also a verb)."""
    lower = word.lower()
    if not lower.isalpha() or word[:1].isupper():
        return False
    next_word = after[0].lower().strip(",.;:!?") if after else ""
    if lower in cues.VERBS_3RD and lower not in cues.NOUN_VERBS:
        return True
    if lower in cues.VERBS_3RD or lower in cues.VERB_BASES:
        plural = lower in cues.VERB_BASES and before.lower().endswith("s")
        singular = lower in cues.VERBS_3RD and not before.lower().endswith("s")
        return (plural or singular) and (
            next_word in cues.OBJECT_STARTS or next_word in cues.PREDICATE_NEXT
        )
    return False


def _split_list(clause: str) -> Iterable[str]:
    """A clause's list items: on commas and relative clauses ("... which dries overnight"),
    and on "and" where both sides are phrases of their own ("keeps you full and tastes
    great", not "black and gold"). A clause joined by "while", "so", "without", "because"
    stays with the phrase it finishes ("hydrates while you sleep", never "you sleep")."""
    parts: list[str] = []
    for part in re.split(r"(?<!\d),\s*|,\s+|\s+&\s+|\s+which\s+", clause):
        if parts and cues.JOINED_CLAUSE.match(part):
            parts[-1] = f"{parts[-1]}, {part}"
        else:
            parts.append(part)
    for part in parts:
        pieces = re.split(r"\s+and\s+", part)
        if len(pieces) > 1 and _separate(pieces):
            yield from pieces
        else:
            yield part


def _separate(pieces: list[str]) -> bool:
    """Whether the sides of an "and" are list items of their own: each a phrase of two words
    or more, and none inside a joined clause ("... while you sleep and wake up rested" goes
    on with the clause)."""
    for index, piece in enumerate(pieces):
        if len(piece.split()) < 2 or not is_phrase(piece):
            return False
        if index < len(pieces) - 1 and cues.JOINS.search(piece):
            return False
        if re.match(r"(?:you|we|i|they|it)\b", piece, re.IGNORECASE):
            return False
    return True


def _read_context_line(reading: _Reading, line: str) -> None:
    line = _squash(line)
    if not line:
        return
    keyed = cues.KEYED.match(line)
    if keyed is not None:
        role = cues.CONTEXT_KEYS.get(keyed.group("key").strip().lower())
        value = keyed.group("value").strip()
        if role is None:
            reading.notes.append(f"brand note not for copy: {keyed.group('key')}")
            return
        _read_keyed(reading, role, value)
        return
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", line):
        _read_context_sentence(reading, sentence)


def _read_keyed(reading: _Reading, role: str, value: str) -> None:
    if cues.NOT_COPY.search(value) and role != "offer":
        return
    if role == "tagline":
        reading.tagline = reading.tagline or _strip_edges(value.strip("\"“”'"))
    elif role == "offer":
        _take_offer(reading, value)
    elif role == "quote":
        before = reading.quote
        _take_quotes(reading, value)
        if reading.quote is before and before is None:
            text, _, author = value.partition(" - ")
            reading.quote = _quote(_strip_edges(text), _strip_edges(author) or None)
    elif role == "audience":
        who = _strip_edges(value)
        if reading.audience is None and len(who.split()) <= 6 and not re.search(r"\d", who):
            reading.audience = who[:1].lower() + who[1:] if who[:2].istitle() else who
    elif role == "benefits":
        for part in re.split(r"(?<!\d),\s*|,\s+|;\s*|\.\s+|\s+•\s+", value):
            reading.add_benefit(part)
    elif role == "proof":
        reading.proof = reading.proof or _strip_edges(value)
    else:
        _read_context_sentence(reading, value)


def _read_context_sentence(reading: _Reading, sentence: str) -> None:
    sentence = _squash(sentence)
    if not sentence or cues.NOT_COPY.search(sentence) or cues.DIRECTIVE.match(sentence):
        return
    if re.search(
        r"\b(?:tone|voice|palette|font|logo|brand guidelines?|our (?:ads?|copy|style)|"
        r"customers are|audience is|demographic|competitors?)\b",
        sentence,
        re.IGNORECASE,
    ):
        reading.notes.append(f"brand note not for copy: {sentence}")
        return
    text = _take_quotes(reading, sentence)
    text = _take_offer(reading, text)
    body = _strip_edges(text)
    if not body:
        return
    if cues.PROOF.search(body) and len(body) <= 70:
        reading.proof = reading.proof or _proof_words(body)
        return
    parts = [_strip_edges(part) for part in _split_list(body)]
    if len(parts) > 1 and all(1 <= len(part.split()) <= 4 for part in parts):
        for part in parts:  # "Vegan, cruelty-free and made in Oslo."
            reading.add_benefit(part)
        return
    if 12 <= len(body) <= 90 and len(body.split()) >= 3:
        statement = body[:1].upper() + body[1:]
        reading.statements.append(statement + ("" if body[-1:] in ".!?" else "."))
    elif len(body.split()) <= 4:
        reading.add_benefit(body)
