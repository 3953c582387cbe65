"""Reading a chat message for ``meta``: tokens with their places in the message, clauses and
the segments "and"/"then" join, whether a verb is asked of Krev, and the phrases around it.

* tokens: words lowercased with one spelling each, money ("$50/day"), percentages, ratios
  ("9:16"), quoted copy and addresses one token each, punctuation one boundary token;
* clauses end at sentence punctuation, commas, "but", "so"; a clause's segments ("make 3 ads |
  and launch them") share the first one's subject;
* ``mood``: an imperative, "can you", "please", "I want you to", "let's" ask (``REQUEST``); a
  verb with its own subject, after "to" of a plan ("I need to"), or negated does not;
* ``read_phrase``: what an object or a prepositional phrase names (a Meta thing, a creative, a
  pronoun, money, people) and whether it says live or puts something on Meta.
"""

from __future__ import annotations

from dataclasses import dataclass

from krev.engines.studio.chat.meta_words import (
    ACCESS,
    ADDRESS,
    AMOUNT,
    CREATIVE,
    DETERMINERS,
    FILLERS,
    HARD_BOUNDARY_WORDS,
    INDEFINITE,
    IS_AFTER,
    LIVE,
    LOCATIONS,
    MADE,
    MERGE_LONGEST,
    MERGES,
    MODALS,
    NEGATIONS,
    NOUNS,
    OTHER_PLATFORMS,
    OWN,
    PEOPLE,
    PERCENT,
    PLACES,
    PLATFORMS,
    PREPOSITIONS,
    PRONOUNS,
    QUESTION_AUX,
    QUOTE,
    RATIO,
    RELATIVES,
    SCENE_PREPOSITIONS,
    SHOPPERS,
    SOFT_BOUNDARY_WORDS,
    SPELLINGS,
    SUBJECTS,
    TOKEN,
    TRAILING,
    WH,
    WHEN_MADE,
    WINNERS,
    YOU,
)


@dataclass
class Tokens:
    words: list[str]
    spans: list[tuple[int, int]]

    def append(self, word: str, span: tuple[int, int]) -> None:
        self.words.append(word)
        self.spans.append(span)


def _spell(raw: str) -> tuple[str, ...]:
    word = raw.lower().replace("\u2019", "'").rstrip("'")
    if word in SPELLINGS:
        return SPELLINGS[word]
    if "'" in word:
        stem, _, tail = word.partition("'")
        if tail == "t" and stem.endswith("n"):
            return (stem[:-1], "not")
        if tail == "ll":
            return (stem, "will")
        if tail == "d":
            return (stem, "would")
        if tail == "m":
            return (stem, "am")
        if tail == "re":
            return (stem, "are")
        if tail == "ve":
            return (stem, "have")
        if tail == "s":
            return (stem, "is") if stem in IS_AFTER else SPELLINGS.get(stem, (stem,))
    return (word,)


def tokenize(message: str) -> Tokens:
    raw = Tokens([], [])
    for match in TOKEN.finditer(message):
        span = match.span()
        if match.lastgroup == "amount":
            raw.append(AMOUNT, span)
        elif match.lastgroup == "percent":
            raw.append(PERCENT, span)
        elif match.lastgroup == "quote":
            raw.append(QUOTE, span)  # quoted copy ("change the headline to 'Glow daily'")
        elif match.lastgroup == "address":
            raw.append(ADDRESS, span)
        elif match.lastgroup == "ratio":
            raw.append(RATIO, span)
        elif match.lastgroup == "punct":
            raw.append(".", span)
        else:
            for word in _spell(match.group()):
                raw.append(word, span)
    return _merged(raw)


def _merged(raw: Tokens) -> Tokens:
    out = Tokens([], [])
    words, i = raw.words, 0
    while i < len(words):
        for size in range(MERGE_LONGEST, 1, -1):
            key = tuple(words[i : i + size])
            if len(key) == size and key in MERGES:
                out.append(MERGES[key], (raw.spans[i][0], raw.spans[i + size - 1][1]))
                i += size
                break
        else:
            if words[i] in ("ad", "ads") and i + 1 < len(words) and words[i + 1] == "set":
                if _creative_set(words, i):
                    out.append(words[i], raw.spans[i])
                    i += 1
                    continue
                out.append("adset", (raw.spans[i][0], raw.spans[i + 1][1]))
                i += 2
                continue
            out.append(words[i], raw.spans[i])
            i += 1
    return out


def _creative_set(words: list[str], i: int) -> bool:
    """Whether "ad set" at ``i`` is an ad *set in* a scene rather than an ad set."""
    after = words[i + 2 : i + 7]
    if not after or after[0] not in SCENE_PREPOSITIONS or AMOUNT in after[:2]:
        return False
    if any(word in LOCATIONS or word in ("campaign", "campaigns") for word in after):
        return False
    return words[i] == "ads" or (i > 0 and words[i - 1] in INDEFINITE)


# --- clauses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    clause_start: int
    clause_end: int
    previous: tuple[int, int] | None
    """The segment before this one in its clause (joined by "and"/"then"), if any."""


def segments(words: list[str]) -> list[Segment]:
    segments: list[Segment] = []
    clause_start = 0
    n = len(words)
    i = 0
    while i <= n:
        if i == n or words[i] == "." or words[i] in HARD_BOUNDARY_WORDS:
            segments.extend(_split_soft(words, clause_start, i))
            clause_start = i + 1
        i += 1
    return segments


def _split_soft(words: list[str], start: int, end: int) -> list[Segment]:
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for i in range(start, end):
        if words[i] in SOFT_BOUNDARY_WORDS:
            pieces.append((piece_start, i))
            piece_start = i + 1
    pieces.append((piece_start, end))
    out: list[Segment] = []
    previous: tuple[int, int] | None = None
    for a, b in pieces:
        if a >= b:
            continue
        out.append(Segment(a, b, start, end, previous))
        previous = (a, b)
    return out


# --- request forms --------------------------------------------------------------------------

REQUEST, OTHER, NEGATED = "request", "other", "negated"


def mood(words: list[str], verb: int, segment: Segment) -> str:
    """Whether the verb at ``verb`` is asked of Krev (a request), negated, or something else:
    a verb with its own subject, a noun, a question about how."""
    if any(words[k] in NEGATIONS for k in range(segment.start, verb)):
        return NEGATED
    if any(words[k] in OWN for k in range(segment.clause_start, segment.clause_end)):
        return OTHER
    j = verb - 1
    while j >= segment.start and words[j] in FILLERS:
        j -= 1
    if j < segment.start:
        return _inherited(words, segment)
    word = words[j]
    if word in YOU:
        return _you(words, j, segment)
    if word == "to":
        return _to(words, j, segment)
    if word in MODALS:
        k = j - 1
        while k >= segment.start and words[k] in FILLERS:
            k -= 1
        if k >= segment.start and words[k] in YOU:
            return _you(words, k, segment)
        return OTHER
    if word in ("us", "me") and j - 1 >= segment.start and words[j - 1] == "help":
        return REQUEST
    if word == "us" and j - 1 >= segment.start and words[j - 1] == "let":
        return REQUEST
    if word == "remember":
        return REQUEST
    return OTHER


def _inherited(words: list[str], segment: Segment) -> str:
    """A verb at the start of its segment: an imperative, unless it shares the subject of the
    segment before it ("I'll make the ads and launch them")."""
    if segment.previous is None:
        return REQUEST
    a, b = segment.previous
    if any(words[k] in YOU for k in range(a, b)):
        return REQUEST
    k = a
    while k < b and words[k] in FILLERS:
        k += 1
    if k < b and words[k] in SUBJECTS:
        return OTHER
    return REQUEST


def _you(words: list[str], j: int, segment: Segment) -> str:
    """A verb after "you": "can you pause" asks; "how do you pause", "did you pause" do not;
    "if you could pause" does."""
    before = words[j - 1] if j - 1 >= segment.clause_start else ""
    if before == "if":
        after = words[j + 1] if j + 1 < segment.end else ""
        return REQUEST if after in ("could", "can", "would", "will") else OTHER
    if before in QUESTION_AUX:
        return OTHER
    if any(words[k] in WH for k in range(segment.clause_start, j)):
        return OTHER
    return REQUEST


def _to(words: list[str], j: int, segment: Segment) -> str:
    """A verb after "to": "I want you to", "I'd like to", "make sure to", "is it possible to"
    ask; "I need to", "I'm going to", "how to", "ads to launch" do not."""
    k = j - 1
    if k < segment.clause_start:
        return OTHER
    word = words[k]
    if word in YOU:
        return _you(words, k, segment)
    if word in ("want", "like"):
        m = k - 1
        while m >= segment.clause_start and words[m] in ("would", "really", "just", "do"):
            m -= 1
        if m >= segment.clause_start and words[m] in ("i", "we"):
            return REQUEST
        return OTHER
    if word in ("sure", "remember", "free", "possible"):
        return REQUEST
    if word == "able" and any(words[m] in YOU for m in range(max(segment.start, k - 3), k)):
        return REQUEST
    return OTHER


# --- phrases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    start: int
    end: int
    kind: str
    """meta, creative, winner, pronoun, amount, people, other or empty."""
    target: str | None
    platform: bool
    place: bool
    """Its head is a place on Meta: Meta itself, Ads Manager, an ad account, "my Facebook page"."""
    live: bool
    amount: bool
    access: bool
    shoppers: bool
    other_platform: bool


def read_phrase(words: list[str], start: int, end: int) -> Phrase:
    target: str | None = None
    platform = place = live = amount = access = shoppers = other = people = False
    winner = False
    content = [k for k in range(start, end) if words[k] not in DETERMINERS or k == end - 1]
    for k in range(start, end):
        word = words[k]
        if word in NOUNS:
            target = NOUNS[word]
        platform |= word in PLATFORMS
        live |= word in LIVE
        amount |= word in (AMOUNT, PERCENT)
        access |= word in ACCESS
        shoppers |= word in SHOPPERS
        other |= word in OTHER_PLATFORMS
        people |= word in PEOPLE
        winner |= word in WINNERS
    last = words[end - 1] if end > start else ""
    place = last in PLATFORMS or last in LOCATIONS or (platform and last in PLACES)
    if target is not None and _creative_after_meta(words, start, end):
        kind, target = "creative", None
    elif target is not None:
        kind = "meta"
    elif any(words[k] in CREATIVE for k in range(start, end)):
        kind = "creative"
    elif winner:
        kind = "winner"
    elif start < end and words[start] in PRONOUNS and len(content) <= 2:
        kind = "pronoun"
    elif AMOUNT in words[start:end] and all(
        words[k] == AMOUNT or words[k] in DETERMINERS for k in range(start, end)
    ):
        kind = "amount"
    elif people:
        kind = "people"
    elif start >= end:
        kind = "empty"
    else:
        kind = "other"
    return Phrase(start, end, kind, target, platform, place, live, amount, access, shoppers, other)


def _creative_after_meta(words: list[str], start: int, end: int) -> bool:
    """Whether the phrase's head is a creative noun after a Meta one ("the campaign images")."""
    last_meta = max(k for k in range(start, end) if words[k] in NOUNS)
    return any(words[k] in CREATIVE for k in range(last_meta + 1, end))


def _participle_form(word: str) -> bool:
    """Whether the word is a participle ("targeting", "based"), not "red" or "feed"."""
    if word.endswith("ing"):
        return len(word) > 5
    return word.endswith("ed") and len(word) > 4 and not word.endswith("eed")


def object_end(words: list[str], start: int, limit: int, stops: frozenset[str]) -> int:
    """Where the object that starts at ``start`` ends: at a preposition, a particle, a relative
    word or the segment's end, eight words at most."""
    k = start
    while k < limit and k - start < 8:
        word = words[k]
        if word in PREPOSITIONS or word in stops or word in TRAILING:
            break
        if k > start and (
            word in RELATIVES
            or word in SUBJECTS
            or word in YOU
            or word in MODALS
            # "an ad targeting new parents": a participle after a noun starts a phrase of its own
            or (_participle_form(word) and words[k - 1] not in DETERMINERS)
        ):
            break
        k += 1
    return k


def clause_begins(words: list[str], k: int, limit: int) -> int | None:
    """Whether a clause of its own begins at ``k`` ("an ad | we can run on Facebook"): None if
    not, -1 if it does, or where it ends when it only says who made the thing ("the carousel
    | we made yesterday | on Facebook"), so the verb's own words go on after it."""
    if words[k] not in RELATIVES and words[k] not in SUBJECTS and words[k] not in YOU:
        return None
    m = k + 1 if words[k] in ("that", "which") else k
    if m < limit and (words[m] in SUBJECTS or words[m] in YOU):
        m += 1
        while m < limit and words[m] in WHEN_MADE:
            m += 1
        if m < limit and words[m] in MADE:
            m += 1
            while m < limit and words[m] in WHEN_MADE:
                m += 1
            return m
    return -1


def prepositional(words: list[str], start: int, limit: int) -> list[tuple[str, Phrase]]:
    """The prepositional phrases after the object: ("to", "my ad account"), ("by", "20%")."""
    out: list[tuple[str, Phrase]] = []
    k = start
    while k < limit:
        begins = clause_begins(words, k, limit)
        if begins == -1:
            break  # a clause of its own begins: "an ad we can run on Facebook"
        if begins is not None:
            k = begins
            continue
        if words[k] in PREPOSITIONS:
            prep = words[k]
            m = k + 1
            while m < limit and words[m] not in PREPOSITIONS and m - k <= 6:
                if clause_begins(words, m, limit) is not None:
                    break
                m += 1
            out.append((prep, read_phrase(words, k + 1, m)))
            k = m
            if k < limit and words[k] not in PREPOSITIONS:
                break
        else:
            k += 1
    return out
