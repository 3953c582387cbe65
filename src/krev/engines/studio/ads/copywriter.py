"""The embedded copywriter (copy provider ``studio``): ad copy from the brief, the brand's notes
and the products' metadata, in the style's tone and shape, within Meta's limits.

It fills the templates of ``copy_templates`` with facts ``brief.read_brief`` lifted from the
merchant's words and with the products' brand, line, type, colors and materials. It invents
nothing: every figure, offer, quote or claim in its copy was in what it was given. Variants
differ (each takes another template and leads with another benefit) and are the same for the
same request and seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from krev.engines.providers import (
    BODY_COPY_MAX,
    CTA_LABELS,
    HEADLINE_MAX,
    HOOK_MAX,
    AdCopy,
    CopyRequest,
    InvalidRequest,
    copy_problems,
)
from krev.engines.studio.ads import brief_cues as cues
from krev.engines.studio.ads.brief import Benefit, CopyFacts, read_brief
from krev.engines.studio.ads.copy_templates import (
    SHAPES,
    ShapeWords,
    Templates,
)
from krev.engines.studio.ads.product_words import ProductWords, adds_color, look_noun, with_article

__all__ = ["StudioCopywriter", "clip_words", "render", "write_copy"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than one per line)."""
    return frozenset(text.split())


_SLOT = re.compile(r"\{(\?)?(\w+)\}")
# Words a cut must not end on: a fragment ending in one reads as cut off.
_DANGLING = _words(
    "a an the and or but with for to of in on at by from your our my its their this that "
    "these those is are was be as so than then into onto over under"
)


class StudioCopywriter:
    """``Copywriter`` (id ``studio``): template copy, no model, no network."""

    id = "studio"

    def write(self, request: CopyRequest) -> list[AdCopy]:
        copies = write_copy(request)
        for copy in copies:
            problems = copy_problems(copy)
            if problems:  # a template bug; never handed on
                raise InvalidRequest(
                    "The embedded copywriter broke Meta's limits: " + "; ".join(problems)
                )
        return copies


def write_copy(request: CopyRequest) -> list[AdCopy]:
    """``request.count`` ad copies in the request's style."""
    facts = read_brief(request.brief, request.brand_context)
    shape_id = _shape_id(request.copy_shape, facts)
    shape = SHAPES[shape_id]
    rng = random.Random(f"krev-copy:{request.seed}:{request.style_id}:{shape_id}")
    product = ProductWords.of(request.products, facts)
    orders = {part: _shuffled(getattr(shape, part), rng) for part in ("hooks", "headlines")}
    # Openers keep their order among the generic ones: the first reads best.
    orders["openers"] = (
        _shuffled(Templates(shape.openers.specific), rng)[0],
        list(shape.openers.generic),
    )
    closers = list(shape.closers)
    rng.shuffle(closers)
    ctas = _ctas(shape, facts, product)
    used: dict[str, set[str]] = {"hook": set(), "headline": set(), "body": set()}
    copies: list[AdCopy] = []
    for variant in range(max(0, request.count)):
        slots = _slots(facts, product, variant)
        hook = _pick(orders["hooks"], slots, variant, HOOK_MAX, used["hook"], avoid=())
        headline = _pick(
            orders["headlines"], slots, variant, HEADLINE_MAX, used["headline"], avoid=(hook,)
        )
        body = _body(
            shape,
            orders["openers"],
            closers,
            slots,
            facts,
            product,
            variant,
            used["body"],
            (hook, headline),
        )
        used["hook"].add(hook.lower())
        used["headline"].add(headline.lower())
        used["body"].add(body.lower())
        copies.append(
            AdCopy(
                style_name=request.style_name,
                hook=clip_words(hook, HOOK_MAX),
                headline=clip_words(headline, HEADLINE_MAX),
                body_copy=clip_words(body, BODY_COPY_MAX),
                cta=ctas[variant % len(ctas)],
            )
        )
    return copies


def _shape_id(copy_shape: str, facts: CopyFacts) -> str:
    if copy_shape == "offer" and facts.offer is None:
        return "offer:none"
    if copy_shape == "quote" and facts.quote is None:
        return "quote:none"
    if copy_shape == "contrast" and facts.rival is None:
        return "contrast:none"
    return copy_shape if copy_shape in SHAPES else "direct"


def _shuffled(templates: Templates, rng: random.Random) -> tuple[list[str], list[str]]:
    """The templates in the order variants take them: the first specific one (the style's
    best) stays first, the seed orders the rest."""
    specific, generic = list(templates.specific[1:]), list(templates.generic)
    rng.shuffle(specific)
    rng.shuffle(generic)
    return list(templates.specific[:1]) + specific, generic


# --- slots ----------------------------------------------------------------------------------


# An offer's first words that are not a name: lower-cased inside a sentence ("Good news:
# subscribers save 10%").
_OFFER_VERBS = _words(
    "subscribe bundle buy save get take free up extra first subscribers members students "
    "customers buyers new your the"
)


def _lower_first(text: str, *, only: frozenset[str] | None = None) -> str:
    """``text`` with its first word lower-cased where a sentence's start capitalised it
    ("Keeps you full" after a name); ``only``: just for these words."""
    first = text.split()[0] if text.split() else ""
    if only is not None and first.lower() not in only:
        return text
    if first[:1].isupper() and first[1:].islower():
        return text[:1].lower() + text[1:]
    return text


def _cap(text: str) -> str:
    first = text.split()[0] if text.split() else ""
    if first[:1].islower() and (first.islower() or not first[1:].isalpha()):
        return text[:1].upper() + text[1:]
    return text


def _slots(facts: CopyFacts, product: ProductWords, variant: int) -> dict[str, str]:
    """What the templates may say for one variant: each leads with another benefit."""
    slots: dict[str, str] = {"moment": product.moment, "it": "them" if product.plural else "it"}
    benefits = list(facts.benefits)
    if benefits:
        turn = variant % len(benefits)
        benefits = benefits[turn:] + benefits[:turn]
        lead = benefits[0]
        slots["lead"] = _lower_first(lead.text) if lead.predicate else lead.text
        if lead.predicate and not product.plural:
            slots["lead_vp"] = _lower_first(lead.text)
        if not lead.predicate:  # "Vigor Peak: 20g protein", never "Vigor Peak: keeps ..."
            slots["lead_np"] = lead.text
        if len(benefits) > 1:
            slots["b2"] = benefits[1].text
    _put(slots, "name", product.name)
    _put(slots, "thing", product.thing)
    _put(slots, "brand", product.brand)
    _put(slots, "brand_noun", product.branded_noun)
    if product.name or product.brand:  # names it apart from "the usual" one
        _put(slots, "branded", product.thing)
        _put(slots, "ours", product.name or f"{product.brand}'s")
    if product.noun:
        slots["noun"] = product.noun
        if not product.plural and not product.mass:
            slots["noun_one"] = product.noun
        slots["a_noun"] = with_article(product)
    _put(slots, "look", product.look)
    _put(slots, "look_noun", look_noun(product))
    _put(slots, "colors", product.colors)
    _put(slots, "audience", facts.audience)
    _put(slots, "tagline", facts.tagline)
    _put(slots, "proof", facts.proof)
    _put(slots, "rival", facts.rival)
    if product.consumable:
        slots["consumable"] = "yes"
    offer = facts.offer
    if offer is not None:
        slots["offer"] = _lower_first(offer.text, only=_OFFER_VERBS)
        target = product.name or product.thing
        slots["offer_on"] = f"{offer.text} {target}" if offer.bare and target else offer.text
        _put(slots, "deadline", offer.deadline)
        if not offer.deadline:
            slots["undated"] = "yes"  # the offer alone says all there is to say of it
        else:
            ends = _ends(offer.deadline)
            if re.search(r"\bends\b", ends, re.IGNORECASE):  # a headline; never "Today only"
                slots["ends"] = ends
            slots["offer_when"] = _with_deadline(slots["offer"], offer.deadline)
            slots["offer_on_when"] = _with_deadline(slots["offer_on"], offer.deadline)
        if offer.code:
            # "20% off this week with code NIGHT20"; a deadline said after a comma ("ends
            # Sunday") would leave the code hanging off it, so that one goes without.
            when = slots.get("offer_when", slots["offer"])
            if "," not in when[len(slots["offer"]) :]:
                slots["offer_code"] = f"{when} with code {offer.code}"
        _put(slots, "code", offer.code)
        _put(slots, "occasion", offer.occasion)
        _put(slots, "extra", offer.extra)
    event = facts.occasion
    if event and re.match(r"back[- ]to[- ]school", event, re.IGNORECASE):
        event = event.lower()  # a season, not a name: "Ready for back to school?"
    _put(slots, "event", event)
    if facts.quote is not None:
        quote = facts.quote.text
        slots["quote"] = quote
        line = f"“{quote}{'' if quote[-1:] in '.!?' else '.'}”"
        if facts.quote.author:
            slots["author"] = facts.quote.author
            # "In Ana's words", not "In Tom from Leeds's words" or "In Maya R.'s words".
            if " from " not in facts.quote.author and not facts.quote.author.endswith("."):
                slots["speaker"] = facts.quote.author
            line += f" — {facts.quote.author}"
        slots["quote_line"] = line if line[-1:] in ".!?”" else line + "."
    return slots


def _ends(deadline: str) -> str:
    """When the offer ends, as a line of its own: "until Sunday" and "this week" read "Ends
    Sunday" and "Ends this week", never a bare "This week"."""
    until = re.match(r"(?:until|till|thru|through)\s+(.+)", deadline, re.IGNORECASE)
    if until is not None:
        return f"Ends {until.group(1)}"
    if cues.TIME_FRAME.fullmatch(deadline):
        return f"Ends {deadline.lower()}"
    return _cap(deadline)


def _with_deadline(offer: str, deadline: str) -> str:
    """The offer with its time frame, as a merchant says it: "20% off this week", "20% off
    everything until Sunday", "30% off, sale ends Sunday"."""
    if re.match(r"(?:this|today|tonight|until|till|thru|through|for)\b", deadline, re.I):
        return f"{offer} {deadline}"
    return f"{offer}, {_lower_first(deadline)}"


def _put(slots: dict[str, str], key: str, value: str | None) -> None:
    if value:
        slots[key] = value


def render(template: str, slots: Mapping[str, str]) -> str | None:
    """The template filled in, or None when it needs a slot that is not known."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(2)
        value = slots.get(name.lower())
        if not value:
            missing = True
            return ""
        if match.group(1):
            return ""
        return _cap(value) if name[:1].isupper() else value

    text = _SLOT.sub(fill, template)
    if missing:
        return None
    return _tidy(text)


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:?!])", r"\1", text)
    text = re.sub(r"([.!?])[.]+", r"\1", text)
    text = re.sub(r"[,;:]([.!?])", r"\1", text)
    return text.strip()


# --- choosing and fitting -------------------------------------------------------------------


def _pick(
    order: tuple[list[str], list[str]],
    slots: Mapping[str, str],
    variant: int,
    limit: int,
    used: set[str],
    *,
    avoid: tuple[str, ...],
) -> str:
    """The first template, from the variant's turn among the specific ones, that renders
    within ``limit``, says something no earlier variant said, and repeats nothing in
    ``avoid``; else the first that fits at all."""
    candidates = _candidates(order, slots, variant, limit, _headline_text)
    for text in candidates:
        if text.lower() not in used and not _overlaps(text, avoid, least=1):
            return text
    for text in candidates:
        if not _overlaps(text, avoid, least=1):
            return text
    return candidates[0] if candidates else clip_words(slots["moment"], limit)


def _overlaps(text: str, others: Iterable[str], *, least: int = 3) -> bool:
    """Whether ``text`` says what one of ``others`` says: the same words, or one holding the
    other's phrase of ``least`` words or more (a bare name inside a sentence is fine)."""
    core = text.rstrip(".!?").lower()
    for other in others:
        said = other.rstrip(".!?").lower()
        if not said or not core:
            continue
        shorter, longer = sorted((said, core), key=len)
        if shorter == longer or (shorter in longer and len(shorter.split()) >= least):
            return True
    return False


def _headline_text(text: str) -> str:
    # A hook or headline is a line, not a sentence: no full stop after it (an initial such as
    # "Maya R." keeps its own).
    return text[:-1] if text.endswith(".") and not re.search(r"\b[A-Z]\.$", text) else text


def _candidates(
    order: tuple[list[str], list[str]],
    slots: Mapping[str, str],
    variant: int,
    limit: int,
    finish: Callable[[str], str],
) -> list[str]:
    specific, generic = order
    turn = variant % len(specific) if specific else 0
    found: list[str] = []
    for template in [*specific[turn:], *specific[:turn], *generic]:
        text = render(template, slots)
        if text is None:
            continue
        text = finish(text)
        if text and len(text) <= limit and text not in found:
            found.append(text)
    return found


def _sentence(text: str) -> str:
    text = _cap(text.strip())
    return text if text[-1:] in ".!?" else text + "."


class _Line(NamedTuple):
    text: str
    essential: bool = False
    """Said even when the hook says it (an offer's deadline and code: the primary text is
    read on its own)."""
    key: str | None = None
    """The fact itself: the line is left out where the body says it already, worded as it
    may be ("until Sunday" for "Ends Sunday.")."""
    after: str | None = None
    """What the body must say first: "Ends Sunday." and a code mean nothing without the offer
    they belong to."""


def _supports(
    shape: ShapeWords, facts: CopyFacts, product: ProductWords, slots: Mapping[str, str]
) -> list[_Line]:
    """The sentences the body may carry after its opener, in the shape's order, each with
    whether it is essential (an offer's deadline and code go in even when the hook says
    them: the primary text is read on its own)."""
    sentences: list[_Line] = []
    benefits: list[Benefit] = list(facts.benefits)
    lead = slots.get("lead")
    if lead is not None:  # this variant's lead first
        turn = next((i for i, b in enumerate(benefits) if _lower_first(b.text) == lead), 0)
        benefits = benefits[turn:] + benefits[:turn]
    for part in shape.supports:
        if part == "benefits":
            sentences += [_Line(_sentence(benefit.text)) for benefit in benefits]
        elif part == "statements":
            sentences += [_Line(statement) for statement in facts.statements]
        elif part == "proof" and facts.proof:
            sentences.append(_Line(_sentence(facts.proof)))
        elif part == "look" and product.look and len(product.look.split()) > 1:
            sentences.append(_Line(_sentence(product.look)))
        elif part == "colors" and product.colors and adds_color(product):
            sentences.append(_Line(f"In {product.colors}.", key=product.colors))
        elif part == "audience" and facts.audience:
            sentences.append(_Line(f"Made for {facts.audience}.", key="made for"))
        elif part == "moment":
            sentences.append(_Line(f"Made for {product.moment}.", key="made for"))
        elif part == "offer" and facts.offer is not None:
            offer = facts.offer
            said = slots.get("offer_on_when") or slots.get("offer_on", offer.text)
            sentences.append(_Line(_sentence(said), True, offer.text))
            if offer.deadline:
                ends = _sentence(_ends(offer.deadline))
                sentences.append(_Line(ends, True, offer.deadline, offer.text))
            if offer.code:
                code = f"Use code {offer.code} at checkout."
                sentences.append(_Line(code, True, offer.code, offer.text))
            if offer.extra:
                sentences.append(_Line(_sentence(offer.extra), False))
    return sentences


def _opening(sentence: str) -> str:
    """A sentence's first two words: two sentences opening alike ("Made for ...", "Treat
    yourself ...") read as filler."""
    return " ".join(sentence.lower().split()[:2])


def _body(
    shape: ShapeWords,
    openers: tuple[list[str], list[str]],
    closers: list[str],
    slots: Mapping[str, str],
    facts: CopyFacts,
    product: ProductWords,
    variant: int,
    used: set[str],
    shown: tuple[str, str],
) -> str:
    """Opener, then the facts that fit, then a closer; a body no earlier variant used."""
    limit = min(shape.body_max, BODY_COPY_MAX)
    rendered = _candidates(openers, slots, variant, limit, lambda text: text)
    # An opener may name the product the headline names, but not say the hook again.
    starts = [
        text
        for text in rendered
        if not _overlaps(text, shown[:1]) and not _overlaps(text, shown[1:], least=99)
    ]
    starts = starts or rendered or [""]
    if shape.repeat_headings:
        shown = ("", "")
    ends = [text for text in (render(c, slots) for c in closers) if text]
    turn = variant % len(ends) if ends else 0
    ends = ends[turn:] + ends[:turn] or [""]
    supports = _supports(shape, facts, product, slots)
    name = (slots.get("name") or "\0").lower()
    first: str | None = None
    for start in starts:
        # A closer that names the product again after the opener did reads as filler.
        fresh = [
            end
            for end in ends
            if not (name in end.lower() and name in start.lower())
            and _opening(end) != _opening(start)
        ]
        for end in fresh or ends:
            body = _assemble(start, supports, end, limit, shape.max_supports, shown)
            if not body:
                continue
            first = first or body
            if body.lower() not in used:
                return body
    return first or clip_words(_sentence(product.moment), limit)


def _assemble(
    start: str,
    supports: list[_Line],
    end: str,
    limit: int,
    most: int,
    shown: tuple[str, str],
) -> str:
    parts = [start] if start else []
    said = start.lower()
    heard = {text.rstrip(".!?").lower() for text in shown}
    openings = {_opening(part) for part in (start, end) if part}
    added = 0
    for sentence, essential, key, after in supports:
        core = sentence.rstrip(".!?").lower()
        if not core or core in said or (key and key.lower() in said):
            continue
        if after and after.lower() not in said:
            continue  # the primary text is read on its own: no "Ends Sunday." without the deal
        if set(re.findall(r"[\w'-]+", core)) <= set(re.findall(r"[\w'-]+", said)):
            continue  # every word of it said already ("Tan leather." after "in tan, leather")
        if added == most and not essential:
            continue
        if (core in heard or _opening(sentence) in openings) and not essential:
            continue
        trial = " ".join([*parts, sentence, end]).strip()
        if len(trial) <= limit:
            parts.append(sentence)
            said += " " + core
            openings.add(_opening(sentence))
            added += 1
    body = " ".join([*parts, end]).strip()
    if len(body) > limit:
        body = " ".join(parts).strip()
    return body if 0 < len(body) <= limit else ""


def _ctas(shape: ShapeWords, facts: CopyFacts, product: ProductWords) -> list[str]:
    """The labels variants take turns with: the one the brief asked for, else the style's."""
    if facts.cta in CTA_LABELS and (facts.cta != "Get offer" or facts.offer is not None):
        return [str(facts.cta)]
    ctas = list(shape.ctas)
    if product.consumable and "Order now" in ctas:
        ctas.remove("Order now")
        ctas.insert(0, "Order now")
    return ctas


def clip_words(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary (never inside a word),
    without a dangling "and"/"with" or a trailing comma. Unchanged when it fits."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    # Whole sentences first: a body that stops after a full stop reads as finished.
    sentences = re.findall(r"[^.!?]+[.!?]+(?:\s|$)", text)
    kept = ""
    for sentence in sentences:
        if len((kept + sentence).strip()) > limit:
            break
        kept += sentence
    if kept.strip():
        return kept.strip()
    words = text[: limit + 1].split(" ")
    words = words[:-1] if len(text) > limit else words
    while words and (
        words[-1].lower().strip(",;:-\u2013—") in _DANGLING or not words[-1].strip(",;:-\u2013—")
    ):
        words.pop()
    clipped = " ".join(words).rstrip(",;:-\u2013— ")
    return clipped or text.split(" ")[0][:limit]
