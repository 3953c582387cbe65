"""Meta's Ad Library API: the ads running now for some words in some countries, and what they
have in common.

    GET {graph_url}/{version}/ads_archive
        ?access_token=...&search_terms=...&ad_reached_countries=["US"]
        &ad_active_status=ACTIVE&ad_type=ALL&fields=id,page_name,...&limit=25[&after=<cursor>]

Meta answers ``{"data": [ad, ...], "paging": {"cursors": {"after": ...}, "next": ...}}``; a
page whose ``data`` is empty, or one without ``next``, is the end
(https://developers.facebook.com/docs/graph-api/reference/ads_archive/). The next page is asked
for with the ``after`` cursor on our own URL rather than by fetching ``paging.next`` verbatim:
that URL carries the token, and following it would send the token wherever an answer said.

What Meta lets the API see: ads about social issues, elections or politics anywhere, but ads of
any other kind only when they were delivered in the EU or the UK (Meta's Ad Library API page).
A search for commercial ads in ``["US"]`` alone is answered with nothing;
``COMMERCIAL_AD_COUNTRIES`` lists the countries where it is not.

The token is a query parameter (Meta's documented way), so it never goes into a message, an
exception's cause or a log line: our errors say Meta's words with the token cut out, the
requests' URLs are redacted in httpx's own log records, and Meta's ``ad_snapshot_url`` (which
embeds the token) becomes the ad's public Ad Library link.

``summarize`` reads a list of ads for a chat reply: who advertises most, the opening lines and
calls to action that recur, the offers, the platforms and how long the ads have been running.
It is deterministic: same ads, same ``today``, same summary.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpx

from krev.engines.hosted import retry_after as _retry_after_header
from krev.engines.providers import (
    InvalidRequest,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)

__all__ = [
    "COMMERCIAL_AD_COUNTRIES",
    "FIELDS",
    "MAX_LIMIT",
    "MAX_PAGES",
    "MAX_SEARCH_TERMS",
    "AdLibraryClient",
    "AdLibraryNotAuthorized",
    "LibraryAd",
    "ResearchSummary",
    "Share",
    "Tally",
    "summarize",
]

FIELDS: Final[tuple[str, ...]] = (
    "id",
    "page_id",
    "page_name",
    "ad_creation_time",
    "ad_delivery_start_time",
    "ad_creative_bodies",
    "ad_creative_link_titles",
    "ad_creative_link_descriptions",
    "ad_creative_link_captions",
    "ad_snapshot_url",
    "publisher_platforms",
    "languages",
)
"""The ArchivedAd fields asked for (https://developers.facebook.com/docs/graph-api/reference/archived-ad/)."""

MAX_SEARCH_TERMS = 100  # characters Meta takes in search_terms
MAX_LIMIT = 100  # ads one search reads, whatever the caller asks
MAX_PAGES = 4  # requests one search makes, however few ads each page brings
DEFAULT_PAGE_SIZE = 25  # Meta's own page size

# Ads of every kind are in the API only when delivered here (the EU's 27 and the UK).
_EU_AND_UK = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB"
COMMERCIAL_AD_COUNTRIES: Final[frozenset[str]] = frozenset(_EU_AND_UK.split())

_COUNTRY = re.compile(r"^(?:[A-Z]{2}|ALL)$")
_ACTIVE_STATUSES = ("ACTIVE", "INACTIVE", "ALL")
_AD_TYPES = (
    "ALL",
    "CREDIT_ADS",
    "EMPLOYMENT_ADS",
    "HOUSING_ADS",
    "POLITICAL_AND_ISSUE_ADS",
)
_LIBRARY_LINK = "https://www.facebook.com/ads/library/?id={id}"

# Graph API error codes (https://developers.facebook.com/docs/graph-api/guides/error-handling).
_TOKEN_CODES = frozenset({102, 104, 190})  # no token, or one expired, revoked or unreadable
_PERMISSION_CODES = frozenset({3, 10}) | frozenset(range(200, 300))  # the app may not do this
_RATE_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80000, 80015))
_TEMPORARY_CODES = frozenset({1, 2})
_EXPIRED_SUBCODES = frozenset({463})
_MAX_DETAIL = 200  # characters of Meta's message kept in ours
_TOKEN_IN_TEXT = re.compile(r"(access_token=)[^&\s\"']+")


class AdLibraryNotAuthorized(InvalidRequest):
    """Meta refused the server's Ad Library token (expired, revoked, not a token) or its app's
    access to the Ad Library API. Only the operator can mend it; retrying never helps, and the
    caller may fall back to something that needs no token."""


# --- ads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryAd:
    """One ad in the Ad Library, as much as a reply needs of it. Ads with several versions or
    carousel cards keep their first text of each kind."""

    id: str
    page_name: str | None
    body: str | None
    title: str | None
    description: str | None
    caption: str | None
    platforms: tuple[str, ...]
    """Where it ran, Meta's names in lower case: facebook, instagram, messenger,
    audience_network, threads..."""
    started: date | None
    """The day delivery started."""
    snapshot_url: str | None
    """A link anyone can open (the ad's page in the public Ad Library when Meta's own snapshot
    link would carry the token)."""
    languages: tuple[str, ...]
    page_id: str | None = None


# --- the client -------------------------------------------------------------------------------


class _RedactTokens(logging.Filter):
    """httpx logs each request's URL at INFO; the Ad Library's carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) and "access_token" in arg.params for arg in record.args
        ):
            record.args = tuple(
                arg.copy_set_param("access_token", "[redacted]")
                if isinstance(arg, httpx.URL) and "access_token" in arg.params
                else arg
                for arg in record.args
            )
        return True


def _install_log_redaction() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _RedactTokens) for existing in logger.filters):
        logger.addFilter(_RedactTokens())


_install_log_redaction()


class AdLibraryClient:
    """Meta's Ad Library API at ``base_url`` (e.g. https://graph.facebook.com) and ``version``
    (e.g. v21.0) with one token; ``timeout`` seconds for each request.

    ``transport`` lets embedders route requests; by default httpx's own, without environment
    proxies (the base URL is operator configuration and means exactly what it says)."""

    name = "Meta's Ad Library"

    def __init__(
        self,
        base_url: str,
        version: str,
        token: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self._token = token
        self.timeout = timeout
        self._transport = transport

    def __repr__(self) -> str:  # the token stays out of reprs, logs and tracebacks
        return f"AdLibraryClient({self.base_url!r}, {self.version!r})"

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.version}/ads_archive"

    def search(
        self,
        search_terms: str,
        countries: Sequence[str],
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        active_status: str = "ACTIVE",
        ad_type: str = "ALL",
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> list[LibraryAd]:
        """Up to ``limit`` ads (at most ``MAX_LIMIT``) whose text has ``search_terms`` and that
        reached one of ``countries`` (ISO codes, or "ALL"), in Meta's order, read in pages of
        ``page_size`` and at most ``max_pages`` requests. Fewer when Meta has no more.

        Raises ``InvalidRequest`` for a search Meta would refuse (no words, too many, no
        country), ``AdLibraryNotAuthorized`` when Meta refuses the token or the app,
        ``RateLimited``, ``TemporarilyUnavailable`` or ``ProviderTimeout`` otherwise."""
        terms = " ".join(search_terms.split())
        if not terms:
            raise InvalidRequest("Say what to search the Ad Library for.")
        if len(terms) > MAX_SEARCH_TERMS:
            raise InvalidRequest(
                f"Ad Library search terms are at most {MAX_SEARCH_TERMS} characters "
                f"({len(terms)} given)."
            )
        reached = _countries(countries)
        if active_status not in _ACTIVE_STATUSES:
            raise InvalidRequest(f"active_status must be one of {', '.join(_ACTIVE_STATUSES)}.")
        if ad_type not in _AD_TYPES:
            raise InvalidRequest(f"ad_type must be one of {', '.join(_AD_TYPES)}.")
        wanted = max(1, min(limit, MAX_LIMIT))
        params: dict[str, str] = {
            "search_terms": terms,
            "ad_reached_countries": json.dumps(reached),
            "ad_active_status": active_status,
            "ad_type": ad_type,
            "fields": ",".join(FIELDS),
        }
        ads: list[LibraryAd] = []
        seen: set[str] = set()
        after: str | None = None
        with httpx.Client(
            timeout=self.timeout,
            transport=self._transport,
            trust_env=False,
            follow_redirects=False,
        ) as client:
            for _ in range(max(1, max_pages)):
                page_params = params | {"limit": str(max(1, min(page_size, wanted - len(ads))))}
                if after is not None:
                    page_params["after"] = after
                page = self._get(client, page_params)
                for raw in page.get("data") or []:
                    ad = _ad(raw)
                    if ad is not None and ad.id not in seen:
                        seen.add(ad.id)
                        ads.append(ad)
                after = _next_cursor(page)
                if len(ads) >= wanted or after is None or not page.get("data"):
                    break
        return ads[:wanted]

    def _get(self, client: httpx.Client, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = client.get(
                self.url,
                params=params | {"access_token": self._token},
                headers={"Accept": "application/json"},
            )
        # ``from None``: the cause holds the request, and its URL holds the token.
        except httpx.TimeoutException:
            raise ProviderTimeout(
                f"{self.name} did not answer within {self.timeout:g} s."
            ) from None
        except httpx.HTTPError as error:
            raise TemporarilyUnavailable(
                f"{self.name} could not be reached ({type(error).__name__})."
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 200 and isinstance(payload, dict) and "error" not in payload:
            if not isinstance(payload.get("data"), list):
                raise InvalidRequest(f"{self.name} answered without a list of ads.")
            return payload
        raise self._refusal(response, payload)

    def _refusal(self, response: httpx.Response, payload: Any) -> ProviderError:
        """The typed error for an answer that is not a page of ads: by Graph's error code
        first (Meta answers most errors with HTTP 400 or 403), then by HTTP status."""
        status = response.status_code
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = error.get("error_subcode")
        said = self._detail(error)
        wait = _retry_after(response)
        if code in _TOKEN_CODES:
            why = "has expired" if subcode in _EXPIRED_SUBCODES else "is not valid"
            return AdLibraryNotAuthorized(
                f"Meta refused this server's Ad Library token: it {why} (Graph error {code}). "
                "The operator must set a new access token."
            )
        if code in _PERMISSION_CODES:
            return AdLibraryNotAuthorized(
                f"Meta does not let this server's app use the Ad Library API (Graph error "
                f"{code}){said}. The operator must finish Meta's Ad Library API access "
                "(facebook.com/ads/library/api) for the app behind the token."
            )
        if code in _RATE_CODES or status == 429:
            return RateLimited(f"{self.name} is rate limiting searches{said}.", retry_after=wait)
        if code in _TEMPORARY_CODES or error.get("is_transient") is True or status >= 500:
            return TemporarilyUnavailable(
                f"{self.name} is unavailable (HTTP {status}){said}.", retry_after=wait
            )
        if status == 408:
            return ProviderTimeout(f"{self.name} timed out (HTTP 408){said}.")
        if status == 200 and not error:
            return InvalidRequest(f"{self.name} answered something that is not a page of ads.")
        return InvalidRequest(f"{self.name} refused the search (HTTP {status}){said}.")

    def _detail(self, error: dict[str, Any]) -> str:
        """Meta's message (and its user-facing one), one line, trimmed, with the token cut out
        (Graph sometimes quotes what it was sent)."""
        message = error.get("message")
        user = error.get("error_user_msg")
        parts = [m for m in (message, user) if isinstance(m, str) and m.strip()]
        if not parts:
            return ""
        text = " ".join(" ".join(parts).split())
        if self._token:
            text = text.replace(self._token, "[redacted]")
        text = _TOKEN_IN_TEXT.sub(r"\1[redacted]", text)
        return ": " + text[:_MAX_DETAIL].rstrip(".")


def _countries(countries: Sequence[str]) -> list[str]:
    if isinstance(countries, str):  # one code given bare; a str is a Sequence of letters
        countries = [countries]
    codes = list(dict.fromkeys(code.strip().upper() for code in countries if code.strip()))
    if not codes:
        raise InvalidRequest("Say which countries' ads to search (Meta requires at least one).")
    bad = [code for code in codes if not _COUNTRY.match(code)]
    if bad:
        raise InvalidRequest(
            f"Countries are two-letter ISO codes or ALL, not {', '.join(map(repr, bad))}."
        )
    return codes


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` when Meta sends one, else the longest ``estimated_time_to_regain_access``
    (minutes) of the ``X-Business-Use-Case-Usage`` header."""
    seconds = _retry_after_header(response)
    if seconds is not None:
        return seconds
    raw = response.headers.get("x-business-use-case-usage")
    try:
        usage = json.loads(raw) if raw else None
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max((m for m in minutes if isinstance(m, int | float) and m > 0), default=None)
    return float(longest) * 60 if longest is not None else None


def _next_cursor(page: dict[str, Any]) -> str | None:
    """The ``after`` cursor of the next page; None at the end (no ``paging.next``)."""
    paging = page.get("paging")
    if not isinstance(paging, dict) or not isinstance(paging.get("next"), str):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if isinstance(after, str) and after:
        return after
    found = parse_qs(urlsplit(paging["next"]).query).get("after")
    return found[0] if found else None


def _first(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        dict.fromkeys(v.strip().lower() for v in value if isinstance(v, str) and v.strip())
    )


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _snapshot(ad_id: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return _LIBRARY_LINK.format(id=ad_id)
    if "access_token" in parse_qs(urlsplit(value).query) or "access_token=" in value:
        return _LIBRARY_LINK.format(id=ad_id)
    return value


def _ad(raw: Any) -> LibraryAd | None:
    if not isinstance(raw, dict):
        return None
    ad_id = raw.get("id")
    if isinstance(ad_id, int) and not isinstance(ad_id, bool):
        ad_id = str(ad_id)
    if not isinstance(ad_id, str) or not ad_id:
        return None
    page_id = raw.get("page_id")
    return LibraryAd(
        id=ad_id,
        page_name=_first(raw.get("page_name")),
        body=_first(raw.get("ad_creative_bodies")),
        title=_first(raw.get("ad_creative_link_titles")),
        description=_first(raw.get("ad_creative_link_descriptions")),
        caption=_first(raw.get("ad_creative_link_captions")),
        platforms=_strings(raw.get("publisher_platforms")),
        started=_day(raw.get("ad_delivery_start_time")),
        snapshot_url=_snapshot(ad_id, raw.get("ad_snapshot_url")),
        languages=_strings(raw.get("languages")),
        page_id=str(page_id) if isinstance(page_id, str | int) and page_id != "" else None,
    )


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A phrase, a page or an offer, and how many of the ads have it."""

    text: str
    ads: int


@dataclass(frozen=True)
class Share:
    """A platform, a language or a kind of hook, and the share of the ads with it (0 to 1,
    rounded to 2 places)."""

    name: str
    ads: int
    share: float


@dataclass(frozen=True)
class ResearchSummary:
    """What a set of Ad Library ads have in common. Lists run most frequent first (ties in
    the order they first appear), at most ``TOP`` entries each."""

    ad_count: int
    pages: tuple[Tally, ...]
    """The pages running the most ads."""
    hooks: tuple[Tally, ...]
    """Opening lines that two ads or more share (the first wording seen)."""
    opening_words: tuple[Tally, ...]
    """The first two words that two ads or more open with ("tired of", "meet the")."""
    hook_kinds: tuple[Share, ...]
    """How openings are built: question, number, you (speaks to the reader), exclamation."""
    calls_to_action: tuple[Tally, ...]
    offers: tuple[Tally, ...]
    """Offer words: percent off, money off, free shipping, free returns, free gift, free
    trial, buy one get one, bundle, sale, discount code, subscribe and save, limited time."""
    percent_off: tuple[int, ...]
    """The percentages off that the ads state, smallest first."""
    platforms: tuple[Share, ...]
    languages: tuple[Share, ...]
    median_days_running: float | None
    """Median days from delivery start to ``today`` over the ads that say when they started."""
    longest_running_days: int | None
    running_30_days_or_more: int
    """Ads running a month or more: the ones an advertiser keeps paying for."""

    def sentences(self) -> list[str]:
        """The summary in a few plain sentences for a chat reply."""
        if self.ad_count == 0:
            return ["No ads found."]
        lines = [f"{self.ad_count} ad{'s' if self.ad_count != 1 else ''} found."]
        if self.pages:
            lines.append("Advertising most: " + _listed(self.pages) + ".")
        if self.hooks:
            lines.append(
                "Recurring openings: " + "; ".join(f'"{t.text}" ({t.ads})' for t in self.hooks)
            )
        if self.opening_words:
            lines.append(
                "Common first words: "
                + ", ".join(f'"{t.text}…" ({t.ads})' for t in self.opening_words)
                + "."
            )
        kinds = [f"{s.name} {round(s.share * 100)}%" for s in self.hook_kinds if s.ads]
        if kinds:
            lines.append("Openings by kind: " + ", ".join(kinds) + ".")
        if self.calls_to_action:
            lines.append("Calls to action: " + _listed(self.calls_to_action) + ".")
        if self.offers:
            discounts = ", ".join(f"{p}%" for p in self.percent_off)
            offers = [
                f"{t.text} ({t.ads}: {discounts})"
                if t.text == "percent off" and discounts
                else f"{t.text} ({t.ads})"
                for t in self.offers
            ]
            lines.append("Offers: " + ", ".join(offers) + ".")
        if self.platforms:
            lines.append(
                "Platforms: "
                + ", ".join(f"{s.name} {round(s.share * 100)}%" for s in self.platforms)
                + "."
            )
        if self.median_days_running is not None:
            lines.append(
                f"Running for {self.median_days_running:g} days at the median "
                f"(longest {self.longest_running_days}); "
                f"{self.running_30_days_or_more} for 30 days or more."
            )
        return lines


TOP = 5

CALLS_TO_ACTION: Final[tuple[str, ...]] = (
    "shop now",
    "buy now",
    "order now",
    "order today",
    "learn more",
    "sign up",
    "get offer",
    "subscribe",
    "book now",
    "get started",
    "get yours",
    "try it",
    "add to cart",
    "claim your",
    "download",
    "join",
)

_OFFERS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        ("percent off", r"\b\d{1,2}\s?%\s?off\b|\bsave\s+(?:up\s+to\s+)?\d{1,2}\s?%"),
        ("money off", r"[$£€]\s?\d+(?:[.,]\d\d)?\s+off\b|\bsave\s+[$£€]\s?\d+"),
        ("free shipping", r"\bfree\s+(?:shipping|delivery)\b"),
        ("free returns", r"\bfree\s+returns?\b"),
        ("free gift", r"\bfree\s+gift\b"),
        ("free trial", r"\bfree\s+trial\b"),
        ("buy one get one", r"\bbogo\b|\bbuy\s+one,?\s+get\s+one\b"),
        ("bundle", r"\bbundles?\b"),
        ("sale", r"\bsale\b"),
        ("discount code", r"\b(?:use|with|promo|discount)\s+code\b"),
        ("subscribe and save", r"\bsubscribe\s+(?:&|and)\s+save\b"),
        (
            "limited time",
            r"\blimited[- ]time\b|\btoday only\b|\blast chance\b|\bwhile (?:stocks|supplies) last\b"
            r"|\bends\s+(?:tonight|today|soon|sunday|monday|friday|midnight)\b",
        ),
    )
)
_PERCENT_OFF = re.compile(
    r"\b(\d{1,2})\s?%\s?off\b|\bsave\s+(?:up\s+to\s+)?(\d{1,2})\s?%", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_WORD = re.compile(r"[a-z0-9%']+")
_MAX_HOOK = 90


def _ad_text(ad: LibraryAd) -> str:
    return "\n".join(t for t in (ad.body, ad.title, ad.description, ad.caption) if t)


def _opening(body: str | None) -> str | None:
    """The first line of the body, up to its first sentence's end, at most ``_MAX_HOOK``
    characters (cut at a word)."""
    if not body:
        return None
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    line = _SENTENCE_END.split(line, maxsplit=1)[0].strip()
    if len(line) > _MAX_HOOK:
        line = line[:_MAX_HOOK].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return line or None


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _recurring(texts: Iterable[str | None], minimum: int = 2) -> tuple[Tally, ...]:
    """Texts that ``minimum`` ads or more share once normalised (case, punctuation), each
    shown as first written, most frequent first, ties in order of first appearance."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in texts:
        key = _key(text) if text else ""
        if not key:
            continue
        counts[key] += 1
        shown.setdefault(key, text or key)
    order = list(shown)
    ranked = sorted(
        (key for key, n in counts.items() if n >= minimum),
        key=lambda key: (-counts[key], order.index(key)),
    )
    return tuple(Tally(shown[key], counts[key]) for key in ranked[:TOP])


def _ranked(counts: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    position = {name: i for i, name in enumerate(order)}
    return sorted(counts.items(), key=lambda item: (-item[1], position.get(item[0], 0), item[0]))


def _shares(counts: Counter[str], total: int, order: Sequence[str]) -> tuple[Share, ...]:
    return tuple(Share(name, n, round(n / total, 2)) for name, n in _ranked(counts, order) if total)


def _listed(tallies: Sequence[Tally]) -> str:
    return ", ".join(f"{t.text} ({t.ads})" for t in tallies)


def summarize(ads: Sequence[LibraryAd], today: date) -> ResearchSummary:
    """What ``ads`` have in common, for a reply; ``today`` dates how long each has run."""
    total = len(ads)

    page_counts: Counter[str] = Counter()
    page_order: list[str] = []
    for ad in ads:
        if ad.page_name:
            page_counts[ad.page_name] += 1
            if ad.page_name not in page_order:
                page_order.append(ad.page_name)
    pages = tuple(Tally(name, n) for name, n in _ranked(page_counts, page_order)[:TOP])

    openings = [_opening(ad.body) for ad in ads]
    first_words = [
        " ".join(words[:2]) if len(words := _WORD.findall(text.lower())) >= 3 else None
        for text in openings
        if text
    ]
    kinds: Counter[str] = Counter()
    with_opening = 0
    for text in openings:
        if not text:
            continue
        with_opening += 1
        vocabulary = set(_WORD.findall(text.lower()))
        kinds["question"] += "?" in text
        kinds["number"] += any(ch.isdigit() for ch in text)
        kinds["you"] += bool(vocabulary & {"you", "your", "you're", "yours"})
        kinds["exclamation"] += "!" in text
    kind_order = ("question", "number", "you", "exclamation")
    hook_kinds = tuple(
        Share(name, kinds[name], round(kinds[name] / with_opening, 2) if with_opening else 0.0)
        for name in kind_order
    )

    cta_counts: Counter[str] = Counter()
    offer_counts: Counter[str] = Counter()
    percents: set[int] = set()
    for ad in ads:
        text = _ad_text(ad)
        lowered = " ".join(_WORD.findall(text.lower()))
        for phrase in CALLS_TO_ACTION:
            if re.search(rf"\b{re.escape(phrase)}\b", lowered):
                cta_counts[phrase] += 1
        for label, pattern in _OFFERS:
            if pattern.search(text):
                offer_counts[label] += 1
        for match in _PERCENT_OFF.finditer(text):
            percents.add(int(match.group(1) or match.group(2)))
    offer_order = [label for label, _ in _OFFERS]
    calls = tuple(Tally(p, n) for p, n in _ranked(cta_counts, CALLS_TO_ACTION)[:TOP])
    offers = tuple(Tally(label, n) for label, n in _ranked(offer_counts, offer_order)[:TOP])

    platform_counts: Counter[str] = Counter(p for ad in ads for p in ad.platforms)
    language_counts: Counter[str] = Counter(lang for ad in ads for lang in ad.languages)
    platform_order = list(dict.fromkeys(p for ad in ads for p in ad.platforms))
    language_order = list(dict.fromkeys(lang for ad in ads for lang in ad.languages))

    days = [max(0, (today - ad.started).days) for ad in ads if ad.started is not None]
    return ResearchSummary(
        ad_count=total,
        pages=pages,
        hooks=_recurring(openings),
        opening_words=_recurring(first_words),
        hook_kinds=hook_kinds,
        calls_to_action=calls,
        offers=offers,
        percent_off=tuple(sorted(percents)),
        platforms=_shares(platform_counts, total, platform_order),
        languages=_shares(language_counts, total, language_order),
        median_days_running=float(statistics.median(days)) if days else None,
        longest_running_days=max(days) if days else None,
        running_30_days_or_more=sum(1 for d in days if d >= 30),
    )
