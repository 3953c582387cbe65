"""Meta mutations at the chat API's door: a message that asks Krev to change something on Meta.

The hosted Krev API says: "The public chat API supports products, credits, image and video
generation, ad generation, and ad-library research. Meta campaign and account mutation requests
return 403." ``meta_mutation`` decides that from the message alone, with rules rather than a
model, so the same message always gets the same answer and the check costs a fraction of a
millisecond; ``refusal_message`` is the sentence the 403 carries.

The line drawn: asking Krev to *make* something for Meta (ads, copy, a Reels video, concepts
"I can launch later myself") or to *research* the Ad Library passes; asking Krev to *act on*
Meta (launch, publish, pause, raise a budget, set a bid cap, change targeting, schedule,
duplicate, delete, boost, manage an ad account) is refused. Questions ("should I raise my
budget?", "how do I pause a campaign?"), reports ("my campaign was paused, make new creative"),
the user's own plans ("we're launching on Instagram next week") and negations ("don't launch
anything, just write copy") pass.

How a message is read (the tokens, clauses, request forms and phrases in ``meta_text``, the
words in ``meta_words``, each verb's rule here):

* it is cut into tokens with their places in the message (so the refusal can quote the words),
  with the spellings of Meta's things made one token each ("ad set", "ad-set" and "adset";
  "Ads Manager"; "FB" and "IG") and money ("$50/day", "80 dollars a day", "20%") one token;
* tokens are grouped into clauses (sentences, and pieces cut at commas, "but", "so"), and
  clauses into segments joined by "and"/"then", which share the first segment's subject;
* a verb that can act on Meta counts only in a request form: an imperative, or after "can
  you", "please", "I want you to", "I'd like to", "go ahead and", "let's", "help me"; a verb
  with its own subject ("I'll launch them", "should we pause it?", "Meta paused my ad"), after
  a negation, or in a past form is not a request; a past participle after "I want/need ...",
  "get ..." ("I'd like the campaign paused") is;
* the verb's object decides: each verb has a rule for what makes it Meta's ("pause" + a
  campaign, ad set or ad; "raise" + a budget or bid, or a campaign + an amount; "change" + a
  budget, bid, audience, schedule or ad account, or an ad only when the clause says it is live
  or in Ads Manager; "launch" + ads, or anything "on Meta"); "it"/"them" count when the message
  names such a thing; a clause about another platform only (TikTok) is not Meta's.

Documented edge cases, decided on purpose:

* "ad" alone is also Krev's own creative: "update the ad with a warmer palette" and "remove the
  logo from the ad" pass; "delete the ad", "pause the ad", "launch these ads" are refused.
* "Create a Facebook campaign for the serum" passes (creative for a campaign); a campaign
  created somewhere ("in Ads Manager", "on Meta") or with a budget, an objective, ad sets or
  targeting is refused, as is "set up a campaign".
* "Target busy moms" passes as a creative brief; targeting with Meta in the clause ("target
  women 25-34 on Facebook", "in the ad set") is refused.
* "I want to raise my budget" and "I'd like to pause it" are requests; "I need to launch this
  by Friday" and "I'm going to pause it" are the user's plans.
* "Launch our new serum on Instagram" passes (a product launch, creative for it); "launch this
  on Meta" and "launch these ads" are refused.
* A bare "launch it" / "Launch them." is refused (launching, in a chat about ads, is Meta's);
  a bare "pause it" or "delete it" needs the message to name a campaign, ad set, ad or Meta.
* "Make an ad set in a cozy kitchen" is an ad whose scene is set somewhere, not an ad set.
* "Launch these ads on TikTok" passes: only Meta's things are refused here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from krev.engines.studio.chat.meta_text import (
    REQUEST,
    Phrase,
    Segment,
    clause_begins,
    mood,
    object_end,
    prepositional,
    read_phrase,
    segments,
    tokenize,
)
from krev.engines.studio.chat.meta_words import (
    AMBIGUOUS,
    AMOUNT,
    CAMPAIGN_SETTINGS,
    CREATIVE,
    EDITS,
    FILLERS,
    GERUNDS,
    INTO,
    LIVE,
    LOCATIONS,
    NEGATIONS,
    NOUNS,
    OTHER_PLATFORMS,
    PARTICIPLE_TRIGGERS,
    PARTICIPLES,
    PARTICLE_WORDS,
    PARTICLES,
    PERCENT,
    PLATFORMS,
    PREPOSITIONS,
    RATIO,
    SETTINGS_VERBS,
    SIZES,
    STRUCTURE,
    VERBS,
    words_of,
)

__all__ = ["MetaMutation", "meta_mutation", "refusal_message"]


@dataclass(frozen=True)
class MetaMutation:
    """A request to change something on Meta, which the chat API refuses."""

    action: str
    """What was asked: launch, publish, boost, resume, pause, delete, duplicate, scale, budget,
    bid, edit, audience, schedule, create, account or appeal."""
    target: str
    """What it acts on: campaign, ad_set, ad, post, budget, bid, audience, placement, schedule
    or account."""
    phrase: str
    """The message's words that asked for it ("pause the campaign")."""


# --- the verbs and their objects ------------------------------------------------------------


@dataclass
class _Context:
    words: list[str]
    verb: str
    index: int
    obj: Phrase
    preps: list[tuple[str, Phrase]]
    segment: Segment
    antecedents: list[tuple[int, str]]
    creative_nouns: list[int]
    message_meta: bool
    """The message names Meta, Facebook, Instagram or Ads Manager somewhere."""
    end: int
    """The end of the words this request used (for the quoted phrase)."""

    def own_words(self) -> frozenset[str]:
        """The words after the verb up to where a clause of their own begins ("make ads for
        the serum | I can upload to Ads Manager")."""
        out: set[str] = set()
        k = self.index + 1
        while k < self.segment.end:
            begins = clause_begins(self.words, k, self.segment.end)
            if begins == -1:
                break
            if begins is not None:
                k = begins
                continue
            out.add(self.words[k])
            k += 1
        return frozenset(out)

    def clause_has(self, vocabulary: frozenset[str]) -> bool:
        s = self.segment
        return any(self.words[k] in vocabulary for k in range(s.clause_start, s.clause_end))

    def has_amount(self) -> bool:
        """Whether money follows the verb in its segment ("to $50/day", "by 20%"); the quoted
        phrase then runs on to it."""
        for k in range(self.index + 1, self.segment.end):
            if self.words[k] in (AMOUNT, PERCENT):
                self.end = max(self.end, k + 1)
                return True
        return False

    def meta_place(self) -> Phrase | None:
        """A prepositional phrase that puts something on Meta: "on Meta", "to my ad account"
        (the quoted phrase then runs on to it)."""
        for prep, phrase in self.preps:
            if prep in INTO and phrase.place:
                self.end = max(self.end, phrase.end)
                return phrase
        return None

    def prep_target(self, preps: tuple[str, ...], targets: frozenset[str]) -> str | None:
        for prep, phrase in self.preps:
            if prep in preps and phrase.kind == "meta" and phrase.target in targets:
                self.end = max(self.end, phrase.end)
                return phrase.target
        return None

    def live(self) -> bool:
        """Whether the clause says the thing runs on Meta: "my live ad", "the ad on Facebook",
        "the ad we're running"."""
        placed = any(p.place for prep, p in self.preps if prep in INTO)
        return (
            self.obj.live
            or placed
            or any(p.live for _, p in self.preps)
            or any(
                self.words[k] in LIVE
                for k in range(self.segment.clause_start, self.segment.clause_end)
                if k != self.index
            )
        )

    def antecedent(self, allowed: frozenset[str], creative: bool = False) -> str | None:
        """What "it"/"them" stands for: the nearest Meta thing the message names (before the
        verb first), "ad" for any creative when ``creative``, or "ad" when the message names
        Meta at all."""
        before = [t for k, t in self.antecedents if k < self.index and t in allowed]
        if before:
            return before[-1]
        after = [t for k, t in self.antecedents if k > self.obj.end and t in allowed]
        if after:
            return after[0]
        if creative and self.creative_nouns and "ad" in allowed:
            return "ad"
        if self.message_meta and "ad" in allowed:
            return "ad"
        return None


_Rule = Callable[[_Context], tuple[str, str] | None]
_ALL = frozenset({"campaign", "ad_set", "ad", "post"})
_RUNNING = frozenset({"campaign", "ad_set", "ad"})


def _referent(c: _Context, allowed: frozenset[str], creative: bool = False) -> str | None:
    """The Meta thing the object names, or stands for ("it", "the winner")."""
    if c.obj.kind == "meta" and c.obj.target in allowed:
        return c.obj.target
    if c.obj.kind == "winner":
        return c.antecedent(allowed) or ("ad" if "ad" in allowed else None)
    if c.obj.kind in ("pronoun", "empty"):
        return c.antecedent(allowed, creative)
    return None


def _launch(c: _Context) -> tuple[str, str] | None:
    """launch, publish, go live: Meta's things launched, or anything launched on Meta."""
    action = "publish" if c.verb in ("publish", "republish") else "launch"
    place = c.meta_place()
    if c.obj.kind == "meta" and c.obj.target in _ALL:
        return action, c.obj.target
    if c.obj.kind == "meta" and c.obj.target in ("audience", "placement"):
        return None
    if c.verb == "golive":
        with_target = c.prep_target(("with",), _ALL)
        if with_target is not None:
            return action, with_target
    if c.obj.kind in ("pronoun", "empty", "winner"):
        found = _referent(c, _ALL, creative=c.verb not in ("publish", "republish"))
        if found is not None:
            return action, found
        # "Launch them.", "please launch": in a chat about ads, launching is Meta's
        if place is not None or c.verb in ("launch", "relaunch", "golive"):
            return action, "ad"
    if c.obj.kind == "creative" and place is not None:
        return action, "ad"
    return None


def _publish_to(c: _Context) -> tuple[str, str] | None:
    """upload, send, post, push, share, submit: something put on Meta."""
    default = "post" if c.verb in ("post", "share") else "ad"
    if c.verb == "submit" and c.obj.kind == "meta" and c.obj.target in _ALL:
        return "launch", c.obj.target
    place = c.meta_place()
    if place is None:
        if c.verb in ("post", "upload") and c.message_meta and c.obj.kind in ("pronoun", "meta"):
            target = _referent(c, _ALL, creative=True)
            return ("publish", target or default) if c.obj.kind == "pronoun" or target else None
        return None
    if c.obj.kind == "meta" and c.obj.target is not None:
        if c.obj.target == "audience":
            return "audience", "audience"
        return "publish", c.obj.target if c.obj.target in _ALL else default
    if c.obj.kind in ("people",):
        return None
    if any(c.words[k] == "list" for k in range(c.obj.start, c.obj.end)):
        return "audience", "audience"
    return "publish", _referent(c, _ALL, creative=True) or default


def _promote(c: _Context) -> tuple[str, str] | None:
    """promote: a post or a page promoted is a boost; a product promoted is a brief."""
    if c.obj.kind == "meta" and c.obj.target == "post":
        return "boost", "post"
    if any(c.words[k] in ("page", "pages") for k in range(c.obj.start, c.obj.end)):
        return "boost", "post"
    return None


def _boost(c: _Context) -> tuple[str, str] | None:
    if c.obj.kind == "meta" and c.obj.target in ("budget", "bid"):
        return None  # "boost the budget": the raise rule's
    found = _referent(c, _ALL)
    if found is None and c.obj.kind in ("pronoun", "empty") and c.meta_place() is not None:
        found = "post"
    if found is None:
        return None
    return "boost", found


def _activate(c: _Context) -> tuple[str, str] | None:
    """start, run, activate, enable: a campaign or ad set started; ads run on Meta."""
    if c.obj.kind == "meta" and c.obj.target in STRUCTURE:
        return "launch", c.obj.target
    if c.obj.kind == "meta" and c.obj.target in ("audience", "placement") and c.verb == "enable":
        return "audience", c.obj.target
    context = c.meta_place() is not None or c.has_amount() or c.live()
    if c.obj.kind == "meta" and c.obj.target in AMBIGUOUS and context:
        return "launch", c.obj.target
    if c.obj.kind in ("pronoun", "winner"):
        found = _referent(c, _ALL)
        if found is not None and (found in STRUCTURE or context):
            return "launch", found
    return None


def _resume(c: _Context) -> tuple[str, str] | None:
    if c.obj.kind == "meta" and c.obj.target == "placement":
        return "audience", "placement"
    found = _referent(c, _ALL)
    if found is None or (c.obj.kind == "empty" and c.preps):
        return None
    return "resume", found


def _pause(c: _Context) -> tuple[str, str] | None:
    """pause, stop, kill, turn off: a campaign, ad set or ad stopped."""
    if c.verb == "stop" and c.obj.start < len(c.words):
        gerund = c.words[c.obj.start]
        if gerund in ("running", "spending", "boosting", "delivering", "showing", "serving"):
            inner = read_phrase(c.words, c.obj.start + 1, c.obj.end)
            target = inner.target if inner.kind == "meta" else None
            target = target or c.prep_target(("on", "for", "in"), _ALL | {"budget"})
            if target is not None or c.meta_place() is not None or c.message_meta:
                return "pause", target or "ad"
            return None
    allowed = STRUCTURE | {"post"} if c.verb in ("end", "cancel") else _ALL
    if c.obj.kind == "meta" and c.obj.target == "placement" and c.verb != "end":
        return "audience", "placement"
    if c.obj.kind == "meta" and c.obj.target in ("budget",) and c.verb in ("stop", "pause"):
        return "pause", "budget"
    if c.obj.kind == "empty" and (c.preps or c.index + 1 < c.segment.end):
        return None
    if c.verb == "pull" and c.obj.kind == "other":
        found = c.prep_target(("on",), _ALL)
        return ("pause", found) if found else None
    found = _referent(c, allowed)
    if found is None:
        return None
    if c.obj.kind in ("pronoun", "empty") and found == "ad" and not _named_running(c):
        return None
    return "pause", found


def _named_running(c: _Context) -> bool:
    """Whether the message names a Meta thing that can run (for a bare "pause it")."""
    return any(t in _RUNNING for _, t in c.antecedents) or c.message_meta


def _delete(c: _Context) -> tuple[str, str] | None:
    if c.obj.kind == "meta" and c.obj.target is not None:
        target = c.obj.target
        if target in ("budget", "bid"):
            return target, target
        if target in ("audience", "placement"):
            return "audience", target
        return "delete", target
    if c.obj.kind in ("pronoun", "winner"):
        found = _referent(c, _ALL)
        if found is not None and (found != "ad" or c.obj.kind == "winner" or c.message_meta):
            return "delete", found
    return None


def _duplicate(c: _Context) -> tuple[str, str] | None:
    found = _referent(c, _ALL)
    if found is None:
        return None
    into = c.prep_target(("into", "in", "to", "inside"), STRUCTURE | {"ad_set"})
    if found in STRUCTURE or c.obj.kind == "winner" or into or c.live():
        return "duplicate", found
    return None


def _scale(c: _Context) -> tuple[str, str] | None:
    if c.clause_has(SIZES | {RATIO}):
        return None
    if c.obj.kind == "meta" and c.obj.target in ("budget", "bid"):
        return "budget", c.obj.target
    found = _referent(c, _ALL)
    if found is None or (c.obj.kind == "empty" and c.preps):
        return None
    return "scale", found


def _raise(c: _Context) -> tuple[str, str] | None:
    """raise, lower, double, cut: a budget or bid, or a campaign's spend to an amount."""
    amount = c.has_amount()
    if c.obj.kind == "meta" and c.obj.target in ("budget", "bid"):
        return c.obj.target, c.obj.target
    if c.obj.kind == "meta" and c.obj.target in STRUCTURE:
        return "budget", c.obj.target
    if c.obj.kind == "meta" and c.obj.target in AMBIGUOUS and amount:
        return "budget", c.obj.target
    if c.obj.kind in ("pronoun", "winner", "empty"):
        # "budget: raise to $75/day", "bump it to $40"
        found = _referent(c, _ALL | {"budget", "bid"})
        if found is not None and (amount or (found in ("budget", "bid") and c.obj.kind != "empty")):
            return ("bid" if found == "bid" else "budget"), found
    return None


def _set(c: _Context) -> tuple[str, str] | None:
    """change, set, update, add, put, give: Meta's settings changed, or a live ad edited."""
    obj = c.obj
    if obj.end < c.segment.end and c.words[obj.end] == "aside":
        return None  # "set the budget aside, what headlines work?"
    c.has_amount()  # the quoted phrase runs on to the amount: "set the bid cap to $2.50"
    if obj.kind == "meta" and obj.target is not None:
        target = obj.target
        if target in STRUCTURE and c.verb in ("switch", "set", "change", "move"):
            # "switch the campaign to cost cap bidding": what it is switched to decides
            to = c.prep_target(("to",), frozenset({"budget", "bid", "audience", "placement"}))
            if to is not None:
                return ("audience" if to in ("audience", "placement") else to), to
        if target in ("budget", "bid"):
            return target, target
        if target in ("audience", "placement"):
            return "audience", target
        if target == "schedule":
            return "schedule", "campaign"
        if target == "account" and c.verb not in SETTINGS_VERBS:
            return "account", "account"
        if target in STRUCTURE and c.verb in EDITS:
            if c.verb == "extend":
                return "schedule", target
            return "edit", target
        if target in AMBIGUOUS and c.verb in EDITS and c.live():
            return "edit", target
    if obj.kind == "creative" and obj.live and c.verb in EDITS:
        return "edit", "ad"  # "edit the live ad's headline"
    if c.verb in SETTINGS_VERBS and c.verb not in ("use", "make"):
        return None
    if obj.kind == "amount" or (
        c.verb == "give" and obj.kind in ("pronoun", "meta") and c.has_amount()
    ):
        found = c.prep_target(("on", "to", "into", "behind", "for", "in", "at"), _ALL)
        if found is None and obj.kind in ("pronoun", "meta") and c.verb == "give":
            found = _referent(c, _ALL) or "budget"  # "give it $25/day": money for it to spend
        if found is None and any(
            p.kind in ("pronoun", "winner") for prep, p in c.preps if prep in ("behind", "on")
        ):
            found = c.antecedent(_ALL)
        if found is not None:
            return "budget", found
    if c.verb in ("use", "make"):
        return None
    if c.verb == "switch":
        to = c.prep_target(("to",), frozenset({"budget", "bid", "audience", "placement"}))
        if to is not None:
            return ("audience" if to in ("audience", "placement") else to), to
    found = c.prep_target(
        ("in", "on", "of", "to", "into", "from", "inside", "within"),
        STRUCTURE | {"audience", "placement", "budget"},
    )
    if found is not None and c.verb in EDITS | {"add", "remove", "swap", "replace", "put"}:
        if found in ("audience", "placement"):
            return "audience", found
        if found == "budget":
            return "budget", "budget"
        return "edit", found
    for prep, phrase in c.preps:
        meta = phrase.kind == "meta" and phrase.target in AMBIGUOUS
        if prep in ("in", "on", "of", "into", "to") and meta and (phrase.live or phrase.place):
            c.end = max(c.end, phrase.end)
            return "edit", str(phrase.target)
    return None


def _create(c: _Context) -> tuple[str, str] | None:
    """create, build, set up: an ad set, an audience, an ad account, or a campaign or ads made
    *in* Meta rather than for it."""
    obj = c.obj
    if obj.kind != "meta" or obj.target is None:
        return None
    target = obj.target
    if target == "ad_set":
        return "create", "ad_set"
    if target == "audience" and c.verb != "make":
        return "create", "audience"
    if target == "account" and c.verb in ("create", "open", "setup", "make", "add"):
        return "create", "account"
    own = c.own_words()
    located = c.meta_place() is not None or bool(own & LOCATIONS)
    inside = c.prep_target(("in", "into", "inside", "to"), STRUCTURE)
    if target == "campaign":
        settings = bool(own & CAMPAIGN_SETTINGS) or c.has_amount()
        if located or settings or inside or c.verb in ("setup", "spinup", "open"):
            return "create", "campaign"
        if c.verb == "start" and own & PLATFORMS:
            return "create", "campaign"
    # ads made *in* a place ("in Ads Manager", "on my Facebook page"), not for a platform
    in_place = any(
        prep in ("on", "in", "to", "into")
        and p.place
        and p.end > p.start
        and c.words[p.end - 1] not in PLATFORMS
        for prep, p in c.preps
    )
    in_location = in_place or bool(own & LOCATIONS)
    if target in AMBIGUOUS and (in_location or inside):
        return "create", target
    return None


def _target(c: _Context) -> tuple[str, str] | None:
    """target, retarget, exclude, include: targeting, when the clause is about Meta."""
    clause_meta = c.clause_has(PLATFORMS | LOCATIONS) or c.clause_has(
        words_of(
            "adset adsets campaign campaigns audience audiences targeting lookalike placements"
        )
    )
    if c.obj.kind == "meta" and c.obj.target in AMBIGUOUS | {"budget", "bid", "schedule"}:
        return None
    if clause_meta or (c.verb == "exclude" and c.obj.shoppers):
        return "audience", "audience"
    return None


def _schedule(c: _Context) -> tuple[str, str] | None:
    if c.obj.kind == "empty":
        return None  # "Schedule?"
    found = _referent(c, _ALL)
    if found is None:
        return None
    if found == "post" and not (c.clause_has(PLATFORMS | LOCATIONS) or c.message_meta):
        return None
    return "schedule", found


def _account(c: _Context) -> tuple[str, str] | None:
    """connect, invite, give access, remove from: an ad account, a page, Business Manager."""
    words = c.words
    phrases = [c.obj, *(p for _, p in c.preps)]

    def names_account(p: Phrase) -> bool:
        return (p.kind == "meta" and p.target == "account") or any(
            words[k] in LOCATIONS or words[k] in ("pixel", "businessmanager")
            for k in range(p.start, p.end)
        )

    if c.verb in words_of("connect link disconnect unlink integrate sync authorize login"):
        if any(names_account(p) or p.platform for p in phrases):
            return "account", "account"
        return None
    if c.verb in ("verify", "close") and names_account(c.obj):
        return "account", "account"
    for prep, phrase in c.preps:
        if prep in ("to", "from", "on", "in", "of", "into") and (
            names_account(phrase) or (phrase.place and c.obj.access)
        ):
            if c.obj.kind == "meta" and c.obj.target != "account":
                return None
            c.end = max(c.end, phrase.end)
            return "account", "account"
    if c.obj.access and (c.obj.platform or c.clause_has(PLATFORMS | LOCATIONS)):
        return "account", "account"
    if c.verb in ("invite", "add", "grant", "give", "assign") and names_account(c.obj):
        return None if c.verb == "add" else ("account", "account")
    return None


def _appeal(c: _Context) -> tuple[str, str] | None:
    if c.obj.kind == "meta" and c.obj.target in ("ad", "account", "campaign", "ad_set"):
        return "appeal", c.obj.target
    return None


_RULES: dict[str, _Rule] = {
    "launch": _launch,
    "publish_to": _publish_to,
    "promote": _promote,
    "boost": _boost,
    "activate": _activate,
    "resume": _resume,
    "pause": _pause,
    "delete": _delete,
    "duplicate": _duplicate,
    "scale": _scale,
    "raise": _raise,
    "set": _set,
    "create": _create,
    "target": _target,
    "schedule": _schedule,
    "account": _account,
    "appeal": _appeal,
}


# --- reading a message ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Message:
    text: str
    words: list[str]
    spans: list[tuple[int, int]]
    antecedents: list[tuple[int, str]]
    creative_nouns: list[int]
    meta: bool


def _read(message: str) -> _Message:
    tokens = tokenize(message)
    words = tokens.words
    antecedents: list[tuple[int, str]] = []
    creative_nouns: list[int] = []
    for k, word in enumerate(words):
        if word in NOUNS and not (k + 1 < len(words) and words[k + 1] in CREATIVE):
            antecedents.append((k, NOUNS[word]))
        elif word in CREATIVE:
            creative_nouns.append(k)
    meta = any(word in PLATFORMS or word in LOCATIONS for word in words)
    return _Message(message, words, tokens.spans, antecedents, creative_nouns, meta)


def _context(
    m: _Message, segment: Segment, verb: str, index: int, obj_start: int, obj_end: int
) -> _Context:
    obj = read_phrase(m.words, obj_start, obj_end)
    preps = prepositional(m.words, obj_end, segment.end)
    return _Context(
        m.words,
        verb,
        index,
        obj,
        preps,
        segment,
        m.antecedents,
        m.creative_nouns,
        m.meta,
        max(obj_end, index + 1),
    )


def _not_meta(m: _Message, segment: Segment) -> bool:
    """A clause about another platform only: "launch these on TikTok"."""
    words = m.words[segment.clause_start : segment.clause_end]
    return any(w in OTHER_PLATFORMS for w in words) and not any(
        w in PLATFORMS or w in LOCATIONS for w in words
    )


def _apply(
    m: _Message, segment: Segment, verb: str, index: int, classes: tuple[str, ...], at: int
) -> MetaMutation | None:
    """Try the verb's rules on its object (from ``at``); the first that finds Meta wins."""
    words = m.words
    for name in classes:
        if name == "particle":
            found = _with_particle(m, segment, verb, index, at)
            if found is not None:
                return found
            continue
        stops = frozenset({"off", "down"}) if name == "pause" else frozenset()
        obj_end = object_end(words, at, segment.end, stops)
        c = _context(m, segment, verb, index, at, obj_end)
        result = _RULES[name](c)
        if result is not None:
            return _mutation(m, result, index, c.end)
    return None


def _with_particle(
    m: _Message, segment: Segment, verb: str, index: int, at: int
) -> MetaMutation | None:
    particles = PARTICLES.get(verb)
    if not particles:
        return None
    words = m.words
    if at < segment.end and words[at] in particles:
        rule = particles[words[at]]
        obj_start = at + 1
        obj_end = object_end(words, obj_start, segment.end, PARTICLE_WORDS - {"on"})
        if words[at] == "on" and rule == "resume":
            obj_end = object_end(words, obj_start, segment.end, PARTICLE_WORDS)
        used = obj_end
    else:
        k = at
        while k < segment.end and k - at <= 6 and words[k] not in particles:
            if words[k] in PREPOSITIONS - {"on", "off"} or words[k] == ".":
                return None
            k += 1
        if k >= segment.end or words[k] not in particles:
            return None
        rule = particles[words[k]]
        obj_start, obj_end, used = at, k, k + 1
        while obj_end > obj_start and words[obj_end - 1] == "back":
            obj_end -= 1
    c = _context(m, segment, verb, index, obj_start, obj_end)
    c.end = max(c.end, used)
    result = _RULES[rule](c)
    return None if result is None else _mutation(m, result, index, c.end)


def _mutation(m: _Message, result: tuple[str, str], start: int, end: int) -> MetaMutation:
    action, target = result
    end = min(max(end, start + 1), len(m.words))
    while end - 1 > start and m.words[end - 1] == ".":
        end -= 1
    phrase = m.text[m.spans[start][0] : m.spans[end - 1][1]].strip()
    return MetaMutation(action, target, phrase)


def _participle(m: _Message, segment: Segment, index: int) -> MetaMutation | None:
    """A past participle asked for: "I want the campaign paused", "get the budget raised to
    $50", "can ad set 2 be turned off?"."""
    words = m.words
    lemma = PARTICIPLES[words[index]]
    if any(words[k] in NEGATIONS for k in range(segment.start, index)):
        return None
    k = index - 1
    if k >= segment.start and words[k] == "be":
        # "can the campaign be paused?": a modal opens the clause.
        first = segment.start
        while first < index and words[first] in FILLERS:
            first += 1
        if words[first] not in ("can", "could", "will", "would"):
            return None
        obj_start, obj_end, trigger = first + 1, k, first
    else:
        m_ = k
        while m_ >= segment.start and index - m_ <= 7 and words[m_] not in PARTICIPLE_TRIGGERS:
            m_ -= 1
        if m_ < segment.start or words[m_] not in PARTICIPLE_TRIGGERS:
            return None
        trigger = m_
        if words[trigger] in ("want", "need", "like"):
            s = trigger - 1
            while s >= segment.start and words[s] in ("would", "really", "just", "do"):
                s -= 1
            if s >= segment.start and words[s] not in ("i", "we") and words[s] not in FILLERS:
                return None
            if s >= segment.start and words[s] in ("i", "we"):
                trigger = s  # quote "I'd like the campaign paused" from its subject
        elif mood(words, trigger, segment) != REQUEST:
            return None
        obj_start, obj_end = m_ + 1, index
    if obj_start >= obj_end:
        return None
    verb, rest = lemma, index + 1
    if lemma == "turn":
        if rest >= segment.end or words[rest] not in ("off", "on", "down"):
            return None
        verb = "pause" if words[rest] in ("off", "down") else "resume"
        rest += 1
    rule = {
        "pause": "pause",
        "launch": "launch",
        "publish": "launch",
        "boost": "boost",
        "resume": "resume",
        "raise": "raise",
        "delete": "delete",
        "duplicate": "duplicate",
        "scale": "scale",
        "schedule": "schedule",
        "change": "set",
        "upload": "publish_to",
    }[verb]
    obj = read_phrase(words, obj_start, obj_end)
    if obj.kind not in ("meta", "pronoun", "winner"):
        return None
    c = _Context(
        words,
        {"change": "change", "upload": "upload", "publish": "publish"}.get(verb, verb),
        index,
        obj,
        prepositional(words, rest, segment.end),
        segment,
        m.antecedents,
        m.creative_nouns,
        m.meta,
        rest,
    )
    result = _RULES[rule](c)
    return None if result is None else _mutation(m, result, trigger, c.end)


def meta_mutation(message: str) -> MetaMutation | None:
    """The Meta change the message asks Krev to make, or None.

    A request to launch, publish, pause, resume, boost, schedule, duplicate, delete or scale
    a campaign, ad set or ad, to change a budget, bid, audience or placement, or to manage an
    ad account; creative for Meta, ad-library research, questions, reports and negations are
    None. The first such request in the message is returned.
    """
    m = _read(message)
    words = m.words
    for segment in segments(words):
        if _not_meta(m, segment):
            continue
        for index in range(segment.start, segment.end):
            word = words[index]
            if word in PARTICIPLES:
                found = _participle(m, segment, index)
                if found is not None:
                    return found
            classes = VERBS.get(word)
            asked_at = index
            if classes is None and index > segment.start and words[index - 1] == "mind":
                # "would you mind pausing the campaign"
                word = GERUNDS.get(word, "")
                classes, asked_at = VERBS.get(word), index - 1
            if classes is None:
                continue
            if mood(words, asked_at, segment) != REQUEST:
                continue
            at = index + 1
            if "particle" not in classes:
                while at < segment.end and words[at] in ("up", "down", "back", "out"):
                    at += 1  # "scale up the winner", "bump up spend"
            found = _apply(m, segment, word, index, classes, at)
            if found is not None:
                return found
    return None


# --- the refusal ----------------------------------------------------------------------------

_NOUN_PHRASES: dict[str, str] = {
    "campaign": "a campaign",
    "ad_set": "an ad set",
    "ad": "an ad",
    "post": "a post",
    "budget": "a budget",
    "bid": "a bid",
    "audience": "an audience",
    "placement": "placements",
    "schedule": "a schedule",
    "account": "an ad account",
}
_POSSESSIVES: dict[str, str] = {
    "campaign": "a campaign's",
    "ad_set": "an ad set's",
    "ad": "an ad's",
    "post": "a post's",
}
_BUDGET_VERBS: dict[str, str] = {
    "raise": "raise",
    "increase": "raise",
    "up": "raise",
    "bump": "raise",
    "boost": "raise",
    "lift": "raise",
    "double": "double",
    "triple": "raise",
    "lower": "lower",
    "decrease": "lower",
    "reduce": "lower",
    "cut": "cut",
    "drop": "lower",
    "trim": "lower",
    "slash": "cut",
    "halve": "halve",
    "set": "set",
}


def _asked(mutation: MetaMutation) -> str:
    """What was asked, in a few words: "pause a campaign", "raise a budget"."""
    action, target = mutation.action, mutation.target
    noun = _NOUN_PHRASES.get(target, "a " + target.replace("_", " "))
    first = mutation.phrase.split()[0].lower() if mutation.phrase.split() else ""
    if action == "launch":
        return "launch ads on Meta" if target == "ad" else f"launch {noun}"
    if action == "publish":
        return "publish ads to Meta" if target == "ad" else f"publish {noun}"
    if action == "budget":
        verb = _BUDGET_VERBS.get(first, "change")
        owner = _POSSESSIVES.get(target)
        return f"{verb} {owner} budget" if owner else f"{verb} a budget"
    if action == "bid":
        cap = "cap" in mutation.phrase.lower()
        return "set a bid cap" if cap else "change a bid"
    if action == "audience":
        return "change placements" if target == "placement" else "change targeting or audiences"
    if action == "resume":
        return f"turn {noun} back on"
    if action == "account":
        return "manage an ad account"
    if action == "edit":
        return "edit a live ad" if target == "ad" else f"edit {noun}"
    if action == "create":
        return "create ads in Ads Manager" if target == "ad" else f"create {noun}"
    if action == "appeal":
        return "appeal a Meta review"
    if action == "schedule" and target == "schedule":
        return "change a schedule"
    return f"{action} {noun}"


def refusal_message(mutation: MetaMutation) -> str:
    """The 403's sentence: what Krev's chat API cannot do (naming what was asked) and what it
    can do instead."""
    return (
        f"Krev's chat API can't {_asked(mutation)}: it cannot change Meta campaigns, ad sets, "
        "ads, budgets or accounts. It can look up your products and credits, generate images, "
        "videos and ad creative with copy, and research the Meta Ad Library; you can upload "
        "the finished creative in Meta Ads Manager yourself."
    )
