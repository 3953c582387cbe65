"""What a prompt asks to show: its subject, read without a model.

The subject is the noun phrase before the first scene preposition ("Premium leather wallet ON
dark marble": "leather wallet"), or, when there is none, every noun the scene grammar does not
own ("cafe with latte and croissant": cafe, latte, croissant). Never a subject: the words the
studio grammar owns (``grammar.json``: surfaces, the set, lighting, camera, mood, colors, the
props it draws) and the framing words (``framing.txt``: photo, shot, studio, premium, …). Without
a part-of-speech model, a noun is any other word of two letters or more that is no function word,
common adjective or participle (``english.json``).

A subject is matched against catalog products by word keys (``word_key``): lower case, accents
dropped, plural and singular alike, so "Wallets" finds "Leather Wallet".
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar

__all__ = [
    "PromptReading",
    "SubjectChoice",
    "SubjectPhrase",
    "best_matches",
    "choose_products",
    "framing_words",
    "grammar",
    "left_out",
    "read_prompt",
    "word_key",
]

K = TypeVar("K")

# Words, hex colors and the punctuation that ends a phrase. A word may carry an apostrophe or a
# hyphen ("bird's", "t-shirt", "high-key"); digits lead tokens that are never nouns ("4k").
_TOKEN = re.compile(r"#[0-9a-f]{3,6}\b|[^\W_][\w'\-]*|[,.;:!?&/|()]")
_PUNCTUATION = frozenset(",.;:!?&/|()")
_CONJUNCTIONS = frozenset({"and", "or", "plus", "&", "with", "without", "/", "|", "(", ")"})
_MAX_PHRASE = 4  # the longest grammar or framing phrase, in words


def _data(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def grammar() -> dict[str, Any]:
    """The studio scene grammar (``grammar.json``)."""
    loaded: dict[str, Any] = json.loads(_data("grammar.json"))
    return loaded


@cache
def framing_words() -> tuple[str, ...]:
    """The published list of framing words (``framing.txt``), in its order."""
    lines = (line.strip() for line in _data("framing.txt").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@cache
def _english() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_data("english.json"))
    return loaded


def _fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _singular(word: str) -> str:
    english = _english()
    irregular: dict[str, str] = english["irregular_plurals"]
    if word in irregular:
        return irregular[word]
    if word in english["invariant_words"] or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


def word_key(word: str) -> str:
    """The form two words are compared in: folded, singular, possessive and a final "e"
    dropped ("cookies", "Cookie" -> "cooky"; "vases", "vase" -> "vas"). Not English, only a
    key that a word's singular and plural share."""
    word = _fold(word).strip("'-")
    if word.endswith("'s"):
        word = word[:-2]
    word = _singular(word)
    if word.endswith("ie"):
        word = word[:-2] + "y"
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def text_keys(text: str) -> set[str]:
    """The word keys of a product's name, brand, type or colors."""
    return {word_key(t) for t in _TOKEN.findall(_fold(text)) if t not in _PUNCTUATION}


# --- what each word is -----------------------------------------------------------------------

_GRAMMAR_GROUPS = ("surfaces", "lighting", "camera", "mood", "tones", "props")


@cache
def _owned_phrases() -> dict[tuple[str, ...], str]:
    """Every phrase the grammar, the framing list or plain English owns, by its tokens, with
    what it is: "grammar", "color", "framing" or "function"."""
    table: dict[tuple[str, ...], str] = {}

    def add(phrases: Iterable[str], role: str) -> None:
        for phrase in phrases:
            tokens = tuple(_TOKEN.findall(_fold(phrase)))
            if tokens:
                table.setdefault(tokens, role)

    data = grammar()
    for group in _GRAMMAR_GROUPS:
        for phrases in data[group].values():
            add(phrases, "grammar")
    add(data["set"], "grammar")
    add(data["accents"], "grammar")
    add(data["scene_prepositions"], "function")
    add(data["colors"], "color")
    add(data["color_modifiers"], "color")
    add(framing_words(), "framing")
    english = _english()
    add(english["function_words"], "function")
    add(english["descriptive_words"], "descriptive")
    return table


@cache
def _css_colors() -> frozenset[str]:
    import webcolors

    names = set(webcolors.names("css3"))
    names |= {name.replace("gray", "grey") for name in names}
    return frozenset(names - set(grammar()["not_colors"]))


def _looks_descriptive(word: str) -> bool:
    """Adjectives and adverbs by their ending ("colourful", "glamorous", "softly", "frosted")."""
    if len(word) >= 6 and word.endswith(tuple(_english()["adjective_endings"])):
        return True
    if len(word) >= 6 and word.endswith(("ally", "fully", "ously", "ively", "ingly", "tly")):
        return True
    # Participles ("handcrafted", "polished"), not nouns in -ed ("seabed", "linseed").
    return len(word) >= 6 and word.endswith("ed") and not word.endswith(("bed", "eed", "sled"))


def _roles(tokens: Sequence[str]) -> list[str]:
    """Each token's role: "noun", "grammar", "color", "framing", "function", "descriptive" or
    "punctuation". Longer phrases win ("golden hour" over "golden")."""
    owned = _owned_phrases()
    roles: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            window = tuple(_fold(t) for t in tokens[i : i + size])
            role = owned.get(window)
            if role is None and size == 1:
                role = owned.get((_singular(window[0]),))
            if role is not None:
                roles.extend([role] * size)
                i += size
                break
        else:
            roles.append(_word_role(tokens[i]))
            i += 1
    return roles


def _word_role(token: str) -> str:
    token = _fold(token)
    if token in _PUNCTUATION:
        return "punctuation"
    if token.startswith("#") or token in _css_colors():
        return "color"
    bare = token[:-2] if token.endswith("'s") else token.strip("'-")
    if len(bare) < 2 or not bare[0].isalpha() or _looks_descriptive(bare):
        return "descriptive" if len(bare) >= 2 and bare[0].isalpha() else "function"
    return "noun"


# --- reading a prompt ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectPhrase:
    """One thing a prompt names, e.g. "leather wallet"."""

    text: str
    """From its first noun to its last, as written (lower case)."""
    nouns: tuple[str, ...]
    """Its nouns: what a catalog product must be called to be it."""
    modifiers: tuple[str, ...]
    """Its other words (colors, adjectives): they only tell equal matches apart."""
    heads: tuple[str, ...]
    """The nouns it is about: its last ("leather WALLET"), the one before "of" ("BOTTLE of
    perfume") and the one before a container ("SERUM bottle"). A product must be called by
    one of them."""


@dataclass(frozen=True)
class PromptReading:
    subjects: tuple[SubjectPhrase, ...]
    """What the prompt asks to show; empty for a prompt that describes only a set."""
    scene_nouns: tuple[SubjectPhrase, ...]
    """What the scene part names that the grammar does not own ("on a DESK")."""

    @property
    def subject(self) -> str | None:
        return ", ".join(p.text for p in self.subjects) or None


def _tokens(prompt: str) -> list[str]:
    # Lower case, accents kept: a catalog query compares them with stored names.
    return _TOKEN.findall(" ".join(prompt.lower().replace("_", " ").split()))


def _scene_start(tokens: Sequence[str], start: int = 0) -> int | None:
    """Where the first scene preposition is, from ``start``: one of the grammar's, or "with"
    followed in the same clause by a background word."""
    data = grammar()
    prepositions = sorted(
        (tuple(_TOKEN.findall(p)) for p in data["scene_prepositions"]), key=len, reverse=True
    )
    backgrounds = set(data["background_words"])
    for i in range(start, len(tokens)):
        if any(tuple(tokens[i : i + len(p)]) == p for p in prepositions):
            return i
        if tokens[i] == "with":
            for following in tokens[i + 1 :]:
                if following in _PUNCTUATION:
                    break
                if following in backgrounds:
                    return i
    return None


def _phrases(tokens: Sequence[str], roles: Sequence[str]) -> list[SubjectPhrase]:
    """The noun phrases of a stretch of prompt, split at punctuation and conjunctions."""
    found: list[SubjectPhrase] = []
    start = 0
    for end in range(len(tokens) + 1):
        if end < len(tokens) and not (roles[end] == "punctuation" or tokens[end] in _CONJUNCTIONS):
            continue
        nouns = [i for i in range(start, end) if roles[i] == "noun"]
        if nouns:
            span = range(nouns[0], nouns[-1] + 1)
            heads = {tokens[nouns[-1]]}
            if len(nouns) > 1 and _fold(tokens[nouns[-1]]) in _english()["containers"]:
                heads.add(tokens[nouns[-2]])
            heads.update(
                tokens[i - 1] for i in span if tokens[i] == "of" and roles[i - 1] == "noun"
            )
            found.append(
                SubjectPhrase(
                    text=" ".join(tokens[i] for i in span),
                    nouns=tuple(tokens[i] for i in nouns),
                    modifiers=tuple(
                        tokens[i]
                        for i in range(start, end)
                        if roles[i] in ("color", "descriptive", "grammar")
                    ),
                    heads=tuple(sorted(heads)),
                )
            )
        start = end + 1
    return found


def read_prompt(prompt: str) -> PromptReading:
    """The prompt's subject phrases and the scene's unknown nouns."""
    tokens = _tokens(prompt)
    roles = _roles(tokens)
    split = _scene_start(tokens)
    # "On a marble table, a leather wallet": nothing but framing before the scene preposition,
    # so the scene is that first clause and the subject may follow it.
    while split is not None and not any(r == "noun" for r in roles[:split]):
        clause_end = next(
            (i for i in range(split, len(tokens)) if tokens[i] in (",", ";", ".")), None
        )
        if clause_end is None:
            return PromptReading((), tuple(_phrases(tokens[split:], roles[split:])))
        rest = _scene_start(tokens, clause_end + 1)
        if rest is None:
            subjects = _phrases(tokens[clause_end + 1 :], roles[clause_end + 1 :])
            scene = _phrases(tokens[:clause_end], roles[:clause_end])
            return PromptReading(tuple(subjects), tuple(scene))
        # The next clause has its own scene preposition: its subject comes before it.
        before = roles[clause_end + 1 : rest]
        if any(r == "noun" for r in before):
            subjects = _phrases(tokens[clause_end + 1 : rest], before)
            scene = _phrases(tokens[:clause_end], roles[:clause_end]) + _phrases(
                tokens[rest:], roles[rest:]
            )
            return PromptReading(tuple(subjects), tuple(scene))
        split = rest
    if split is None:
        return PromptReading(tuple(_phrases(tokens, roles)), ())
    return PromptReading(
        tuple(_phrases(tokens[:split], roles[:split])),
        tuple(_phrases(tokens[split:], roles[split:])),
    )


# --- matching a catalog ----------------------------------------------------------------------


def best_matches(phrase: SubjectPhrase, candidates: Sequence[tuple[K, Sequence[str]]]) -> list[K]:
    """The candidates that best fit ``phrase``, given each one's texts (name, brand, type,
    colors); several when they fit equally well, none when none is called by the phrase's head.

    A fit counts the phrase's nouns found in a candidate's words, then its other words ("red"
    mug), then whether a text is exactly the phrase."""
    nouns = {word_key(n) for n in phrase.nouns}
    modifiers = {word_key(m) for m in phrase.modifiers} - nouns
    heads = {word_key(h) for h in phrase.heads}
    wanted = word_key_text(phrase.text)
    scored: list[tuple[tuple[int, int, int], K]] = []
    for key, texts in candidates:
        words: set[str] = set()
        for text in texts:
            words |= text_keys(text)
        if not heads & words:
            continue
        exact = any(word_key_text(text) == wanted for text in texts)
        scored.append(((len(nouns & words), len(modifiers & words), int(exact)), key))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [key for score, key in scored if score == best]


@dataclass
class SubjectChoice(Generic[K]):
    """What a catalog holds for a prompt's subject phrases."""

    chosen: list[K] = field(default_factory=list)
    """One product for each phrase that fits exactly one (each product once)."""
    missing: list[SubjectPhrase] = field(default_factory=list)
    """The phrases no product is called by."""
    ambiguous: tuple[SubjectPhrase, list[K]] | None = None
    """The first phrase several products fit equally well, and those products."""


def choose_products(
    subjects: Sequence[SubjectPhrase],
    find: Callable[[SubjectPhrase], Sequence[tuple[K, Sequence[str]]]],
) -> SubjectChoice[K]:
    """Match each subject phrase against the candidates ``find`` gives for it (each with its
    texts: name, brand, type, colors)."""
    choice: SubjectChoice[K] = SubjectChoice()
    for phrase in subjects:
        best = best_matches(phrase, find(phrase))
        if not best:
            choice.missing.append(phrase)
        elif len(best) > 1:
            choice.ambiguous = choice.ambiguous or (phrase, best)
        elif best[0] not in choice.chosen:
            choice.chosen.append(best[0])
    return choice


def left_out(
    subjects: Sequence[SubjectPhrase], shown: Sequence[tuple[K, Sequence[str]]]
) -> list[str]:
    """The subject phrases none of the products ``shown`` is called by: with products given,
    what else the prompt names, which the engine leaves out."""
    return [phrase.text for phrase in subjects if not best_matches(phrase, shown)]


def word_key_text(text: str) -> str:
    """A whole text as word keys, for comparing names exactly ("Leather Wallets")."""
    return " ".join(word_key(t) for t in _TOKEN.findall(_fold(text)) if t not in _PUNCTUATION)


def search_terms(phrase: SubjectPhrase) -> list[str] | None:
    """Lower-case fragments that a product called by one of the phrase's heads contains in
    one of its texts, whatever its number: a catalog query narrows its rows with them before
    ``best_matches`` decides ("berries" -> "berr", which finds "Berry" too). None when a head
    is spelt with accents, which a database's ``lower()`` may not fold: then every row."""
    irregular = _english()["irregular_plurals"]
    terms = []
    for head in phrase.heads:
        if not head.isascii() or _singular(head) in irregular.values():
            return None  # "men's" names a "Man's Watch" too; no fragment finds both
        key = word_key(head)
        terms.append(key[: max(3, len(key) - 2)] if len(key) > 3 else key)
    return sorted(set(terms))
