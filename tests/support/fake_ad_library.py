"""A local stand-in for Meta's Ad Library API (``GET /{version}/ads_archive``), on 127.0.0.1,
speaking the published protocol (https://developers.facebook.com/docs/graph-api/reference/
ads_archive/). It never reaches the network.

    with FakeAdLibrary(tokens={"EAAB-test"}) as library:
        client = AdLibraryClient(library.url, "v21.0", "EAAB-test", timeout=5)
        library.requests          # what it received, decoded, with what it answered
        library.answer_next(rate_limited(613), server_error(), hang(5))

It checks what Meta checks: an ``access_token`` it knows (else Graph error 190, HTTP 400,
with the ``WWW-Authenticate`` header Meta sends; an ``expired_tokens`` one says subcode 463;
an ``unapproved_tokens`` one gets error 10, subcode 2332002, the answer for an app whose owner
has not finished Meta's identity confirmation), ``search_terms`` or ``search_page_ids``, and
``ad_reached_countries`` (a JSON array, Meta's ``['US']`` form or a comma list), else error
100; enum parameters and field names are checked the same way.

It answers ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`` with only
the fields asked for (absent ones left out, as Graph does), over its seeded ads (``SEED_ADS``,
a few dozen: skincare, coffee, sneakers, candles, dog food) filtered by the search words (every
word, case-insensitive, as a whole word of the bodies, link titles, descriptions, captions or
page name; ``search_type=KEYWORD_EXACT_PHRASE`` wants the phrase), the countries reached and
``ad_active_status``. Pages hold ``limit`` ads (default 25), at most ``max_page_size``;
``next`` is an absolute URL to itself carrying every parameter, the token included, as Meta's
does, and only while ads remain (``trailing_empty_page`` adds a last ``next`` to an empty page,
which Meta's docs say can happen). ``ad_snapshot_url`` embeds the token, as Meta's does.

``meta_eu_rule`` applies Meta's reach rule: ads that are not about politics are only found
through countries in the EU or the UK.

On demand it fails: ``answer_next`` scripts the next answers (``rate_limited`` with Graph
codes 4, 17 or 613 and ``Retry-After`` or ``X-Business-Use-Case-Usage``; ``server_error``;
``hang``); ``fail_always`` keeps failing.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.local_http import LocalHTTPServer

_PATH = re.compile(r"^/(v\d+\.\d+)/ads_archive$")
_WORD = re.compile(r"[a-z0-9']+")
_EU_AND_UK = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB"
EU_AND_UK = frozenset(_EU_AND_UK.split())
ACTIVE_STATUSES = ("ACTIVE", "INACTIVE", "ALL")
AD_TYPES = ("ALL", "CREDIT_ADS", "EMPLOYMENT_ADS", "HOUSING_ADS", "POLITICAL_AND_ISSUE_ADS")
SEARCH_TYPES = ("KEYWORD_UNORDERED", "KEYWORD_EXACT_PHRASE")
# ArchivedAd's fields (https://developers.facebook.com/docs/graph-api/reference/archived-ad/);
# the seeded ads hold the first group, the rest are known but have no value here (left out).
SEEDED_FIELDS = (
    "id",
    "page_id",
    "page_name",
    "ad_creation_time",
    "ad_delivery_start_time",
    "ad_delivery_stop_time",
    "ad_creative_bodies",
    "ad_creative_link_titles",
    "ad_creative_link_descriptions",
    "ad_creative_link_captions",
    "ad_snapshot_url",
    "publisher_platforms",
    "languages",
)
KNOWN_FIELDS = frozenset(
    (
        *SEEDED_FIELDS,
        "age_country_gender_reach_breakdown",
        "beneficiary_payers",
        "br_total_reach",
        "bylines",
        "currency",
        "delivery_by_region",
        "demographic_distribution",
        "estimated_audience_size",
        "eu_total_reach",
        "impressions",
        "spend",
        "target_ages",
        "target_gender",
        "target_locations",
        "total_reach_by_location",
    )
)
DEFAULT_PAGE_SIZE = 25


@dataclass(frozen=True)
class SeedAd:
    id: str
    page_id: str
    page_name: str
    bodies: tuple[str, ...]
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    captions: tuple[str, ...]
    platforms: tuple[str, ...]
    countries: tuple[str, ...]
    started: date
    stopped: date | None = None
    languages: tuple[str, ...] = ("en",)

    @property
    def words(self) -> str:
        """Its searchable text, lower case, words separated by single spaces."""
        text = " ".join(
            (*self.bodies, *self.titles, *self.descriptions, *self.captions, self.page_name)
        )
        return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class SeenRequest:
    path: str
    params: dict[str, str]
    status: int  # what the fake answered

    @property
    def fields(self) -> list[str]:
        return [f for f in self.params.get("fields", "").split(",") if f]


@dataclass
class Answer:
    status: int = 200
    error: dict[str, Any] | None = None  # Graph's error object; None: the normal answer
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0


def graph_error(
    message: str, code: int = 100, kind: str = "OAuthException", **extra: Any
) -> dict[str, Any]:
    return {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "A" + uuid.uuid4().hex[:22],
        **extra,
    }


def rate_limited(
    code: int = 4, *, retry_after: float | None = None, regain_minutes: int | None = None
) -> Answer:
    """Graph's rate limits: 4 (the app's), 17 (the user's), 613 (this API's calls per hour).
    Graph answers the first two with HTTP 403 and 613 with 400 (the code is what counts)."""
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
    }
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    if regain_minutes is not None:
        headers["X-Business-Use-Case-Usage"] = json.dumps(
            {
                "1234567890": [
                    {
                        "type": "ads_archive",
                        "call_count": 100,
                        "total_cputime": 12,
                        "total_time": 15,
                        "estimated_time_to_regain_access": regain_minutes,
                    }
                ]
            }
        )
    return Answer(
        status=400 if code == 613 else 403,
        error=graph_error(messages.get(code, f"(#{code}) Rate limited"), code, is_transient=True),
        headers=headers,
    )


def server_error(status: int = 500) -> Answer:
    return Answer(
        status=status,
        error=graph_error(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            is_transient=True,
        ),
    )


def hang(seconds: float) -> Answer:
    """Say nothing for ``seconds`` (or until the server stops), then answer normally."""
    return Answer(hang_seconds=seconds)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"fake-cursor:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "fake-cursor" and number.isdigit() else None


def _countries(raw: str) -> list[str] | None:
    """``["US","GB"]``, Meta's own ``['US']`` example form, or ``US,GB``; None if unreadable."""
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text.replace("'", '"'))
        except ValueError:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        return [v.strip().upper() for v in value]
    return [v.strip().upper() for v in text.split(",") if v.strip()]


class FakeAdLibrary(LocalHTTPServer):
    def __init__(
        self,
        tokens: Collection[str] = ("EAAB-fake-ad-library-token",),
        *,
        expired_tokens: Collection[str] = (),
        unapproved_tokens: Collection[str] = (),
        ads: tuple[SeedAd, ...] | None = None,
        max_page_size: int = 100,
        host: str = "127.0.0.1",
    ) -> None:
        self.tokens = set(tokens)
        self.expired_tokens = set(expired_tokens)
        self.unapproved_tokens = set(unapproved_tokens)
        self.ads: tuple[SeedAd, ...] = SEED_ADS if ads is None else ads
        self.max_page_size = max_page_size
        self.trailing_empty_page = False
        self.meta_eu_rule = False
        self.requests: list[SeenRequest] = []
        self._script: deque[Answer] = deque()
        self._always: Answer | None = None
        self._lock = threading.Lock()
        super().__init__(_handler_for(self), host=host, name="fake-ad-library")

    @property
    def url(self) -> str:
        """The Graph base URL (``{url}/{version}/ads_archive``)."""
        return f"http://{self.host}:{self.port}"

    def answer_next(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def answers_left(self) -> int:
        """How many of the answers queued with ``answer_next`` no request has taken yet."""
        with self._lock:
            return len(self._script)

    def fail_always(self, answer: Answer | None) -> None:
        """Answer every request this way until called with None."""
        with self._lock:
            self._always = answer

    def _next_answer(self) -> Answer | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
            return self._always

    # --- the protocol ---------------------------------------------------------------------

    def check(self, params: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, body, headers) for ``params``, as Meta would answer them."""
        token = params.get("access_token")
        if not token:
            return (
                400,
                {
                    "error": graph_error(
                        "An access token is required to request this resource.", 104
                    )
                },
                {},
            )
        if token in self.expired_tokens:
            message = (
                "Error validating access token: Session has expired on Monday, 01-Jun-26 "
                "10:00:00 PDT. The current time is Wednesday, 01-Jul-26 10:00:00 PDT."
            )
            return (
                400,
                {"error": graph_error(message, 190, error_subcode=463)},
                _invalid_token(message),
            )
        if token in self.unapproved_tokens:
            return (
                400,
                {
                    "error": graph_error(
                        "Application does not have permission for this action",
                        10,
                        error_subcode=2332002,
                        is_transient=False,
                        error_user_title="Authorization and login needed",
                        error_user_msg=(
                            "To access the API, you'll need to follow the steps at "
                            "facebook.com/ads/library/api."
                        ),
                    )
                },
                {},
            )
        if token not in self.tokens:
            message = "Invalid OAuth access token - Cannot parse access token"
            return 400, {"error": graph_error(message, 190)}, _invalid_token(message)
        problem = _parameter_problem(params)
        if problem is not None:
            return 400, {"error": graph_error(f"(#100) {problem}", 100)}, {}
        countries = _countries(params["ad_reached_countries"]) or []
        fields = [f for f in params.get("fields", "id").split(",") if f]
        unknown = [f for f in fields if f not in KNOWN_FIELDS]
        if unknown:
            return (
                400,
                {
                    "error": graph_error(
                        f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type "
                        "(ArchivedAd)",
                        100,
                    )
                },
                {},
            )
        limit = int(params.get("limit", DEFAULT_PAGE_SIZE))
        size = max(1, min(limit, self.max_page_size))
        start = 0
        if "after" in params:
            found = _offset(params["after"])
            if found is None:
                return 400, {"error": graph_error("(#100) Invalid cursor: after", 100)}, {}
            start = found
        matching = self.matching(params, countries)
        page = matching[start : start + size]
        body: dict[str, Any] = {"data": [self.render(ad, fields, token) for ad in page]}
        end = start + len(page)
        more = end < len(matching) or (self.trailing_empty_page and bool(page))
        if page or more:
            paging: dict[str, Any] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
            if more:
                paging["next"] = f"{self.url}/{params['_version']}/ads_archive?" + urlencode(
                    {k: v for k, v in params.items() if not k.startswith("_")}
                    | {"after": _cursor(end)}
                )
            body["paging"] = paging
        return 200, body, {}

    def matching(self, params: dict[str, str], countries: list[str]) -> list[SeedAd]:
        terms = params.get("search_terms", "").strip().strip("'\"")
        words = _WORD.findall(terms.lower())
        page_ids = {p for p in re.split(r"[\s,\[\]'\"]+", params.get("search_page_ids", "")) if p}
        exact = params.get("search_type") == "KEYWORD_EXACT_PHRASE"
        status = params.get("ad_active_status", "ACTIVE")
        political = params.get("ad_type") == "POLITICAL_AND_ISSUE_ADS"
        wanted = set(countries)
        found: list[SeedAd] = []
        for ad in self.ads:
            if political:  # every seeded ad sells something
                continue
            if page_ids and ad.page_id not in page_ids:
                continue
            text = f" {ad.words} "
            if words and exact and f" {' '.join(words)} " not in text:
                continue
            if words and not exact and not all(f" {w} " in text for w in words):
                continue
            reached = set(ad.countries)
            if self.meta_eu_rule:
                reached &= EU_AND_UK
            if "ALL" not in wanted and not reached & wanted:
                continue
            if "ALL" in wanted and not reached:
                continue
            active = ad.stopped is None
            if (status == "ACTIVE" and not active) or (status == "INACTIVE" and active):
                continue
            found.append(ad)
        return found

    def render(self, ad: SeedAd, fields: list[str], token: str) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": ad.id,
            "page_id": ad.page_id,
            "page_name": ad.page_name,
            "ad_creation_time": f"{ad.started.isoformat()}T08:00:00+0000",
            "ad_delivery_start_time": ad.started.isoformat(),
            "ad_delivery_stop_time": ad.stopped.isoformat() if ad.stopped else None,
            "ad_creative_bodies": list(ad.bodies) or None,
            "ad_creative_link_titles": list(ad.titles) or None,
            "ad_creative_link_descriptions": list(ad.descriptions) or None,
            "ad_creative_link_captions": list(ad.captions) or None,
            "ad_snapshot_url": (
                f"https://www.facebook.com/ads/archive/render_ad/?id={ad.id}&access_token={token}"
            ),
            "publisher_platforms": list(ad.platforms) or None,
            "languages": list(ad.languages) or None,
        }
        return {name: values[name] for name in fields if values.get(name) is not None}


def _invalid_token(message: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}


def _parameter_problem(params: dict[str, str]) -> str | None:
    if not params.get("search_terms", "").strip() and not params.get("search_page_ids", "").strip():
        return "The parameter search_terms or search_page_ids is required"
    if len(params.get("search_terms", "")) > 100:
        return "Param search_terms must be at most 100 chars long"
    raw = params.get("ad_reached_countries")
    if not raw:
        return "The parameter ad_reached_countries is required"
    countries = _countries(raw)
    if not countries or not all(re.fullmatch(r"[A-Z]{2}|ALL", c) for c in countries):
        return "Param ad_reached_countries[0] must be one of {ALL, BR, IN, GB, US, CA, ...}"
    for name, allowed in (
        ("ad_active_status", ACTIVE_STATUSES),
        ("ad_type", AD_TYPES),
        ("search_type", SEARCH_TYPES),
    ):
        if name in params and params[name] not in allowed:
            return f"Param {name} must be one of {{{', '.join(allowed)}}}"
    if "limit" in params and not params["limit"].isdigit():
        return "Param limit must be an integer"
    return None


def _handler_for(fake: FakeAdLibrary) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            match = _PATH.match(parts.path)
            if match is None:
                error = graph_error(f"Unknown path components: {parts.path}", 2500)
                return self._answer(parts.path, params, 400, {"error": error}, {})
            answer = fake._next_answer()
            if answer is not None and answer.hang_seconds:
                fake._stopping.wait(answer.hang_seconds)
                if fake._stopping.is_set():
                    self.close_connection = True  # the client sees the connection drop
                    return None
            if answer is not None and answer.error is not None:
                return self._answer(
                    parts.path, params, answer.status, {"error": answer.error}, answer.headers
                )
            status, body, headers = fake.check(params | {"_version": match.group(1)})
            return self._answer(parts.path, params, status, body, headers)

        def _answer(
            self,
            path: str,
            params: dict[str, str],
            status: int,
            body: dict[str, Any],
            headers: dict[str, str],
        ) -> None:
            fake.requests.append(SeenRequest(path, params, status))
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (a timeout test)

    return Handler


# --- the seeded ads ----------------------------------------------------------------------------

_FB_IG = ("facebook", "instagram")
_ALL_PLACES = ("facebook", "instagram", "messenger", "audience_network")


def _seed(
    number: int,
    page: tuple[str, str],
    body: str,
    title: str,
    description: str,
    caption: str,
    platforms: tuple[str, ...],
    countries: str,
    started: str,
    stopped: str | None = None,
    languages: tuple[str, ...] = ("en",),
) -> SeedAd:
    return SeedAd(
        id=f"{1200000000000000 + number}",
        page_id=page[0],
        page_name=page[1],
        bodies=(body,) if body else (),
        titles=(title,) if title else (),
        descriptions=(description,) if description else (),
        captions=(caption,) if caption else (),
        platforms=platforms,
        countries=tuple(countries.split()),
        started=date.fromisoformat(started),
        stopped=date.fromisoformat(stopped) if stopped else None,
        languages=languages,
    )


GLOW_LAB = ("104000000000001", "Glow Lab")
DERMAROOT = ("104000000000002", "Dermaroot")
SUNDAY_SKIN = ("104000000000003", "Sunday Skin")
ROASTERY_ROW = ("104000000000004", "Roastery Row")
BEAN_CLUB = ("104000000000005", "Bean Club")
COLD_BREW_CO = ("104000000000006", "Cold Brew Co.")
STRIDE = ("104000000000007", "Stride Athletics")
TRAILFORM = ("104000000000008", "TrailForm")
KICKS_DEPOT = ("104000000000009", "Kicks Depot")
EMBER_WICK = ("104000000000010", "Ember & Wick")
GOOD_DOG = ("104000000000011", "Good Dog Kitchen")

SEED_ADS: tuple[SeedAd, ...] = (
    # skincare
    _seed(
        1,
        GLOW_LAB,
        "Tired of dull skin? Our vitamin C serum brightens in 14 days. 20% off this week.",
        "Vitamin C Serum",
        "Dermatologist tested skincare",
        "glowlab.com",
        _FB_IG,
        "US GB",
        "2026-03-02",
    ),
    _seed(
        2,
        GLOW_LAB,
        "Tired of dull skin? Meet the serum 40,000 customers swear by. "
        "Free shipping on every order.",
        "Shop the serum",
        "Skincare that works",
        "glowlab.com",
        _FB_IG,
        "US CA",
        "2026-05-20",
    ),
    _seed(
        3,
        GLOW_LAB,
        "Your skincare routine, simplified. Shop now and get a free gift with every serum.",
        "3-step skincare",
        "Cleanse, treat, protect",
        "glowlab.com",
        ("instagram",),
        "US GB DE",
        "2026-06-10",
    ),
    _seed(
        4,
        DERMAROOT,
        "Tired of breakouts? Our niacinamide serum calms skin overnight. Shop now.",
        "Niacinamide 10%",
        "Clinically proven skincare",
        "dermaroot.com",
        _FB_IG,
        "US",
        "2026-01-15",
    ),
    _seed(
        5,
        DERMAROOT,
        "Dermatologists love this moisturizer. Save 15% with code SKIN15.",
        "Barrier Repair Cream",
        "Fragrance-free skincare",
        "dermaroot.com",
        _ALL_PLACES,
        "US GB",
        "2026-04-01",
    ),
    _seed(
        6,
        DERMAROOT,
        "Last chance: our skincare sale ends Sunday. Up to 30% off serums and moisturizer.",
        "Skincare sale",
        "Ends Sunday",
        "dermaroot.com",
        _FB_IG,
        "US",
        "2026-06-22",
    ),
    _seed(
        7,
        SUNDAY_SKIN,
        "Did you wear SPF today? Our mineral sunscreen leaves no white cast. Learn more.",
        "Mineral SPF 50",
        "Reef-safe skincare",
        "sundayskin.com",
        ("facebook",),
        "GB FR",
        "2026-05-05",
    ),
    _seed(
        8,
        SUNDAY_SKIN,
        "Sunscreen you will actually wear every day. Free returns, always.",
        "Everyday SPF",
        "",
        "sundayskin.com",
        _FB_IG,
        "GB",
        "2026-02-14",
        "2026-04-30",
    ),
    _seed(
        9,
        SUNDAY_SKIN,
        "Ihre Haut verdient mehr. Unser Serum mit Vitamin C. Jetzt kaufen.",
        "Vitamin C Serum",
        "Hautpflege",
        "sundayskin.de",
        _FB_IG,
        "DE",
        "2026-05-28",
        languages=("de",),
    ),
    _seed(
        10,
        GLOW_LAB,
        "Glow serum bundle: serum, moisturizer and SPF. Save 25% when you bundle.",
        "The Glow Bundle",
        "Everything your skin needs",
        "glowlab.com",
        _ALL_PLACES,
        "US GB CA",
        "2026-06-01",
    ),
    # coffee
    _seed(
        11,
        ROASTERY_ROW,
        "Your morning coffee deserves better. Freshly roasted beans delivered weekly. "
        "Subscribe & save 10%.",
        "Fresh coffee beans",
        "Roasted to order",
        "roasteryrow.com",
        _FB_IG,
        "US",
        "2026-02-01",
    ),
    _seed(
        12,
        ROASTERY_ROW,
        "Still drinking stale coffee? Our beans ship within 48 hours of roasting. Shop now.",
        "Roasted this week",
        "Single origin coffee",
        "roasteryrow.com",
        _FB_IG,
        "US CA",
        "2026-04-18",
    ),
    _seed(
        13,
        ROASTERY_ROW,
        "Coffee lovers: try our sampler of 4 single origins. Free shipping over $30.",
        "Coffee sampler",
        "4 origins, 1 box",
        "roasteryrow.com",
        ("facebook",),
        "US",
        "2026-06-15",
    ),
    _seed(
        14,
        BEAN_CLUB,
        "Join 25,000 coffee lovers. Your first bag of beans is free. Sign up today.",
        "Bean Club coffee subscription",
        "Cancel anytime",
        "beanclub.co",
        _ALL_PLACES,
        "US GB",
        "2026-03-20",
    ),
    _seed(
        15,
        BEAN_CLUB,
        "Your morning coffee deserves better. Try Bean Club: fresh beans every month, "
        "20% off your first box.",
        "Coffee subscription",
        "Skip or cancel anytime",
        "beanclub.co",
        _FB_IG,
        "US GB",
        "2026-05-12",
    ),
    _seed(
        16,
        BEAN_CLUB,
        "What's in your cup? Discover a new coffee every month. Get offer.",
        "Coffee of the month",
        "",
        "beanclub.co",
        ("instagram",),
        "GB",
        "2026-06-20",
    ),
    _seed(
        17,
        COLD_BREW_CO,
        "Cold brew coffee in 12 hours, no machine needed. Buy now and get a free gift.",
        "Cold brew kit",
        "Makes 1 litre",
        "coldbrew.co",
        _FB_IG,
        "US",
        "2026-04-25",
    ),
    _seed(
        18,
        COLD_BREW_CO,
        "Hot day? Cold brew coffee concentrate, ready in seconds. Limited time: buy one get one.",
        "Cold brew concentrate",
        "BOGO this week",
        "coldbrew.co",
        _FB_IG,
        "US CA",
        "2026-06-26",
    ),
    _seed(
        19,
        COLD_BREW_CO,
        "Cold brew coffee for the office. Order now for free delivery.",
        "Office cold brew",
        "",
        "coldbrew.co",
        ("facebook",),
        "US",
        "2025-11-01",
        "2026-02-28",
    ),
    _seed(
        20,
        ROASTERY_ROW,
        "Café fraîchement torréfié, livré chez vous. Abonnez-vous.",
        "Café en grains",
        "",
        "roasteryrow.fr",
        _FB_IG,
        "FR",
        "2026-05-30",
        languages=("fr",),
    ),
    # sneakers
    _seed(
        21,
        STRIDE,
        "Meet the running shoe built for your longest miles. Shop now.",
        "Stride Cloud running sneakers",
        "Free returns within 60 days",
        "stride.com",
        _FB_IG,
        "US GB",
        "2026-03-10",
    ),
    _seed(
        22,
        STRIDE,
        "Run farther with less effort. New running sneakers, 15% off this weekend.",
        "Stride Cloud 2",
        "Lightweight running shoe",
        "stride.com",
        _ALL_PLACES,
        "US",
        "2026-06-05",
    ),
    _seed(
        23,
        STRIDE,
        "Meet the running shoe that runners rate 4.8 stars. Free shipping and free returns.",
        "Rated 4.8 by runners",
        "",
        "stride.com",
        _FB_IG,
        "US CA GB",
        "2026-04-12",
    ),
    _seed(
        24,
        TRAILFORM,
        "Built for mud, rock and rain. Trail sneakers with grip that holds. Learn more.",
        "TrailForm X trail sneakers",
        "Waterproof trail running",
        "trailform.com",
        ("facebook",),
        "US GB DE",
        "2026-02-20",
    ),
    _seed(
        25,
        TRAILFORM,
        "Ready for the trail? 20% off all trail sneakers. Use code TRAIL20.",
        "Trail sneakers sale",
        "Ends Sunday",
        "trailform.com",
        _FB_IG,
        "US",
        "2026-06-18",
    ),
    _seed(
        26,
        KICKS_DEPOT,
        "The sneakers everyone is asking about are back in stock. Shop now before they sell out.",
        "Back in stock sneakers",
        "Limited sizes",
        "kicksdepot.com",
        _FB_IG,
        "US",
        "2026-05-25",
    ),
    _seed(
        27,
        KICKS_DEPOT,
        "Summer sale: up to 40% off sneakers. Today only.",
        "Sneakers sale",
        "Up to 40% off",
        "kicksdepot.com",
        _ALL_PLACES,
        "US CA",
        "2026-06-28",
    ),
    _seed(
        28,
        KICKS_DEPOT,
        "Retro sneakers, modern comfort. Free shipping on orders over $75.",
        "Retro sneakers",
        "",
        "kicksdepot.com",
        ("instagram",),
        "US GB",
        "2026-01-05",
        "2026-03-01",
    ),
    _seed(
        29,
        KICKS_DEPOT,
        "Why pay full price for sneakers? Save $20 on your first order. Sign up.",
        "Sneakers for less",
        "",
        "kicksdepot.com",
        _FB_IG,
        "US",
        "2026-04-30",
    ),
    _seed(
        30,
        STRIDE,
        "Laufschuhe für lange Strecken. Jetzt entdecken.",
        "Stride Cloud Laufschuh",
        "",
        "stride.de",
        _FB_IG,
        "DE",
        "2026-06-02",
        languages=("de",),
    ),
    # candles
    _seed(
        31,
        EMBER_WICK,
        "Your evenings, slower. Hand-poured soy candles. Shop now.",
        "Soy candles",
        "Burns 50 hours",
        "emberandwick.com",
        _FB_IG,
        "US GB",
        "2026-03-28",
    ),
    _seed(
        32,
        EMBER_WICK,
        "Candle sale: 3 for 2 on every scent. Ends tonight.",
        "Candle sale",
        "",
        "emberandwick.com",
        ("instagram",),
        "GB",
        "2026-06-24",
    ),
    _seed(
        33,
        EMBER_WICK,
        "Looking for a gift? Candle bundle with a free gift box. Order now.",
        "Candle gift bundle",
        "",
        "emberandwick.com",
        _FB_IG,
        "US",
        "2026-05-15",
    ),
    # dog food
    _seed(
        34,
        GOOD_DOG,
        "Is your dog's food real food? Fresh meals cooked for dogs. 50% off your first box.",
        "Fresh dog food",
        "Vet approved",
        "gooddogkitchen.com",
        _ALL_PLACES,
        "US",
        "2026-02-10",
    ),
    _seed(
        35,
        GOOD_DOG,
        "Your dog deserves better than kibble. Free trial box. Sign up.",
        "Try fresh dog food",
        "",
        "gooddogkitchen.com",
        _FB_IG,
        "US CA",
        "2026-05-08",
    ),
    _seed(
        36,
        GOOD_DOG,
        "Picky eater? Dogs love our fresh food or your money back. Learn more.",
        "Fresh food for picky dogs",
        "",
        "gooddogkitchen.com",
        ("facebook",),
        "US GB",
        "2026-06-12",
    ),
)
