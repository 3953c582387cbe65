"""The Ad Library client against a local stand-in for Meta's ``ads_archive`` endpoint: what it
asks for, how it pages, the typed errors it raises (never with the token in them), and the
summary a chat reply shows."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from krev.engines.ad_library import (
    FIELDS,
    MAX_SEARCH_TERMS,
    AdLibraryClient,
    AdLibraryNotAuthorized,
    LibraryAd,
    Share,
    Tally,
    summarize,
)
from krev.engines.providers import (
    InvalidRequest,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)
from tests.support.fake_ad_library import (
    SEED_ADS,
    Answer,
    FakeAdLibrary,
    graph_error,
    hang,
    rate_limited,
    server_error,
)

TOKEN = "EAAB-test-ad-library-0123456789abcdef"
VERSION = "v21.0"
TODAY = date(2026, 7, 1)


@pytest.fixture
def library() -> Iterator[FakeAdLibrary]:
    with FakeAdLibrary(tokens={TOKEN}) as server:
        yield server


def client(library: FakeAdLibrary, *, token: str = TOKEN, timeout: float = 10.0) -> AdLibraryClient:
    return AdLibraryClient(library.url, VERSION, token, timeout=timeout)


def seeded(*numbers: int) -> list[str]:
    return [f"{1200000000000000 + n}" for n in numbers]


# --- searching ---------------------------------------------------------------------------------


def test_a_search_asks_meta_for_active_ads_of_any_type_with_the_listed_fields(
    library: FakeAdLibrary,
) -> None:
    ads = client(library).search("cold brew", ["us"], limit=10)

    [request] = library.requests
    assert request.path == f"/{VERSION}/ads_archive"
    assert request.params["search_terms"] == "cold brew"
    assert json.loads(request.params["ad_reached_countries"]) == ["US"]
    assert request.params["ad_active_status"] == "ACTIVE"
    assert request.params["ad_type"] == "ALL"
    assert request.fields == list(FIELDS)
    assert request.params["limit"] == "10"
    assert request.params["access_token"] == TOKEN
    # Ad 19 (cold brew for the office) stopped running in February.
    assert [ad.id for ad in ads] == seeded(17, 18)


def test_an_ad_is_read_into_its_fields(library: FakeAdLibrary) -> None:
    [ad] = client(library).search("Office cold brew", ["US"], active_status="ALL", limit=5)

    assert ad == LibraryAd(
        id=seeded(19)[0],
        page_name="Cold Brew Co.",
        body="Cold brew coffee for the office. Order now for free delivery.",
        title="Office cold brew",
        description=None,  # Meta leaves out a field an ad has no value for
        caption="coldbrew.co",
        platforms=("facebook",),
        started=date(2025, 11, 1),
        snapshot_url=f"https://www.facebook.com/ads/library/?id={seeded(19)[0]}",
        languages=("en",),
        page_id="104000000000006",
    )


def test_only_the_fields_asked_for_come_back(library: FakeAdLibrary) -> None:
    response = httpx.get(
        f"{library.url}/{VERSION}/ads_archive",
        params={
            "access_token": TOKEN,
            "search_terms": "candle",
            "ad_reached_countries": '["GB"]',
            "fields": "id,page_name",
        },
    )

    assert response.status_code == 200
    assert response.json()["data"] == [{"id": seeded(32)[0], "page_name": "Ember & Wick"}]


def test_every_search_word_must_appear_as_a_whole_word_in_any_case(
    library: FakeAdLibrary,
) -> None:
    search = client(library).search

    assert [ad.id for ad in search("TRAIL Sneakers", ["US"])] == seeded(24, 25)
    assert [ad.id for ad in search("sneakers trail", ["US"])] == seeded(24, 25)
    assert search("sneak", ["US"]) == []  # a word, not a prefix
    # Page names are searched too.
    assert {ad.page_name for ad in search("Dermaroot", ["US"])} == {"Dermaroot"}


def test_ads_are_those_that_reached_one_of_the_countries(library: FakeAdLibrary) -> None:
    search = client(library).search

    assert [ad.id for ad in search("sneakers", ["DE"])] == seeded(24)
    assert [ad.id for ad in search("serum", ["DE", "FR"])] == seeded(3, 9)
    assert {ad.languages for ad in search("serum", ["DE"])} == {("en",), ("de",)}
    assert search("coffee", ["JP"]) == []
    assert len(search("coffee", ["ALL"], limit=50)) == 8  # ads 19 (stopped) left out


def test_meta_only_shows_commercial_ads_delivered_in_the_eu_or_the_uk(
    library: FakeAdLibrary,
) -> None:
    library.meta_eu_rule = True
    search = client(library).search

    assert search("coffee", ["US"]) == []
    assert [ad.id for ad in search("coffee", ["US", "GB"])] == seeded(14, 15, 16)


# --- pages --------------------------------------------------------------------------------------


def test_pages_are_followed_with_the_after_cursor_until_the_limit(
    library: FakeAdLibrary,
) -> None:
    library.max_page_size = 2

    ads = client(library).search("coffee", ["US", "GB", "CA", "FR"], limit=5, page_size=2)

    assert [ad.id for ad in ads] == seeded(11, 12, 13, 14, 15)
    assert [r.params["limit"] for r in library.requests] == ["2", "2", "1"]
    assert "after" not in library.requests[0].params
    cursors = [r.params.get("after") for r in library.requests[1:]]
    assert all(cursors) and len(set(cursors)) == 2
    # Each page asks again with the same search, not Meta's `next` URL verbatim.
    for request in library.requests:
        assert request.params["search_terms"] == "coffee"
        assert request.fields == list(FIELDS)


def test_a_search_stops_after_max_pages(library: FakeAdLibrary) -> None:
    library.max_page_size = 1

    ads = client(library).search("coffee", ["US"], limit=10, max_pages=3)

    assert len(ads) == 3
    assert len(library.requests) == 3


def test_a_search_stops_when_meta_has_no_more(library: FakeAdLibrary) -> None:
    library.max_page_size = 2
    ads = client(library).search("sneakers", ["US"], limit=50, page_size=2, max_pages=10)
    assert len(ads) == 7
    assert len(library.requests) == 4  # 2 + 2 + 2 + 1, the last without `next`

    # Meta may point `next` at a page with nothing in it: that is the end too.
    library.requests.clear()
    library.trailing_empty_page = True
    ads = client(library).search("candle", ["US", "GB"], limit=50, page_size=2, max_pages=10)
    assert [ad.id for ad in ads] == seeded(32, 33)
    assert len(library.requests) == 2


def test_the_cursor_is_read_from_next_when_meta_gives_no_cursors() -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if "after" in request.url.params:
            return httpx.Response(200, json={"data": [{"id": "2"}]})
        return httpx.Response(
            200,
            json={
                "data": [{"id": "1"}],
                "paging": {"next": "https://elsewhere.example/v21.0/ads_archive?after=QUZUR1I"},
            },
        )

    library = AdLibraryClient(
        "https://graph.example", VERSION, TOKEN, timeout=5, transport=httpx.MockTransport(answer)
    )
    ads = library.search("coffee", ["GB"], limit=5)

    assert [ad.id for ad in ads] == ["1", "2"]
    assert [url.host for url in seen] == ["graph.example", "graph.example"]
    assert seen[1].params["after"] == "QUZUR1I"


def test_repeated_ads_are_kept_once() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        data = [{"id": "1"}, {"id": "2"}] if after is None else [{"id": "2"}, {"id": "3"}]
        paging = {"cursors": {"after": "B"}, "next": "https://graph.example/x"} if not after else {}
        return httpx.Response(200, json={"data": data, "paging": paging})

    library = AdLibraryClient(
        "https://graph.example", VERSION, TOKEN, timeout=5, transport=httpx.MockTransport(answer)
    )

    assert [ad.id for ad in library.search("coffee", ["GB"], limit=10)] == ["1", "2", "3"]


# --- the token ---------------------------------------------------------------------------------


def test_snapshot_links_never_carry_the_token(library: FakeAdLibrary) -> None:
    ads = client(library).search("coffee", ["ALL"], limit=50)

    assert ads
    for ad in ads:
        assert TOKEN not in repr(ad)
        assert ad.snapshot_url == f"https://www.facebook.com/ads/library/?id={ad.id}"


def test_the_token_stays_out_of_httpx_log_lines_and_the_client_repr(
    library: FakeAdLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        ads = client(library).search("coffee", ["US"])

    assert ads
    assert "ads_archive" in caplog.text  # httpx did log the request...
    assert TOKEN not in caplog.text  # ...without the token
    assert TOKEN not in repr(client(library))


@pytest.mark.parametrize(
    ("known", "expired", "said"),
    [
        ({"another-token"}, set(), "is not valid"),
        (set(), {TOKEN}, "has expired"),
    ],
)
def test_a_refused_token_tells_the_operator_and_never_shows_the_token(
    known: set[str], expired: set[str], said: str
) -> None:
    with FakeAdLibrary(tokens=known, expired_tokens=expired) as library:
        with pytest.raises(AdLibraryNotAuthorized) as caught:
            client(library).search("coffee", ["US"])
        [request] = library.requests

    assert request.status == 400
    error = caught.value
    assert isinstance(error, InvalidRequest)
    assert not error.transient
    assert said in error.message
    assert "operator" in error.message
    assert "190" in error.message
    assert TOKEN not in error.message
    assert TOKEN not in str(error)
    assert error.__cause__ is None


def test_no_token_at_all_tells_the_operator(library: FakeAdLibrary) -> None:
    with pytest.raises(AdLibraryNotAuthorized) as caught:
        client(library, token="").search("coffee", ["US"])

    assert "operator" in caught.value.message


def test_an_app_without_ad_library_access_tells_the_operator() -> None:
    with (
        FakeAdLibrary(tokens=(), unapproved_tokens={TOKEN}) as library,
        pytest.raises(AdLibraryNotAuthorized) as caught,
    ):
        client(library).search("coffee", ["US"])

    assert "Ad Library API" in caught.value.message
    assert "operator" in caught.value.message
    assert "facebook.com/ads/library/api" in caught.value.message
    assert TOKEN not in caught.value.message


def test_meta_quoting_the_token_has_it_cut_out(library: FakeAdLibrary) -> None:
    library.answer_next(
        Answer(
            status=400,
            error=graph_error(f"(#100) Bad request: access_token={TOKEN}&search_terms=x", 100),
        )
    )

    with pytest.raises(InvalidRequest) as caught:
        client(library).search("coffee", ["US"])

    assert TOKEN not in caught.value.message
    assert "[redacted]" in caught.value.message
    assert not isinstance(caught.value, AdLibraryNotAuthorized)


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 17, 613])
def test_rate_limits_are_transient_with_the_wait_meta_asked_for(
    library: FakeAdLibrary, code: int
) -> None:
    library.answer_next(rate_limited(code, retry_after=30))

    with pytest.raises(RateLimited) as caught:
        client(library).search("coffee", ["US"])

    assert caught.value.transient
    assert caught.value.retry_after == 30
    assert f"#{code}" in caught.value.message
    assert TOKEN not in caught.value.message


def test_the_wait_comes_from_the_business_use_case_header_when_there_is_no_retry_after(
    library: FakeAdLibrary,
) -> None:
    library.answer_next(rate_limited(613, regain_minutes=7))

    with pytest.raises(RateLimited) as caught:
        client(library).search("coffee", ["US"])

    assert caught.value.retry_after == 7 * 60


def test_a_rate_limit_on_a_later_page_fails_the_search(library: FakeAdLibrary) -> None:
    library.max_page_size = 2
    library.answer_next(Answer(), rate_limited(4))

    with pytest.raises(RateLimited):
        client(library).search("coffee", ["US"], limit=5, page_size=2)

    assert [r.status for r in library.requests] == [200, 403]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(library: FakeAdLibrary, status: int) -> None:
    library.answer_next(server_error(status))

    with pytest.raises(TemporarilyUnavailable) as caught:
        client(library).search("coffee", ["US"])

    assert caught.value.transient
    assert f"HTTP {status}" in caught.value.message


def test_a_server_that_hangs_times_out(library: FakeAdLibrary) -> None:
    library.answer_next(hang(10))
    started = time.monotonic()

    with pytest.raises(ProviderTimeout) as caught:
        client(library, timeout=0.3).search("coffee", ["US"])

    assert time.monotonic() - started < 5
    assert caught.value.transient
    assert "0.3 s" in caught.value.message
    assert caught.value.__cause__ is None  # the cause's request would carry the token


def test_a_server_that_is_down_is_unavailable() -> None:
    library = FakeAdLibrary(tokens={TOKEN}).start()
    url = library.url
    library.stop()

    with pytest.raises(TemporarilyUnavailable) as caught:
        AdLibraryClient(url, VERSION, TOKEN, timeout=2).search("coffee", ["US"])

    assert "could not be reached" in caught.value.message


def test_an_answer_that_is_not_a_page_of_ads_is_refused() -> None:
    library = AdLibraryClient(
        "https://graph.example",
        VERSION,
        TOKEN,
        timeout=5,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text="<html>")),
    )

    with pytest.raises(InvalidRequest):
        library.search("coffee", ["GB"])


@pytest.mark.parametrize(
    ("terms", "countries", "said"),
    [
        ("   ", ["US"], "what to search"),
        ("x" * (MAX_SEARCH_TERMS + 1), ["US"], "at most 100 characters"),
        ("coffee", [], "which countries"),
        ("coffee", ["USA"], "'USA'"),
    ],
)
def test_a_search_meta_would_refuse_is_refused_before_asking(
    library: FakeAdLibrary, terms: str, countries: list[str], said: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        client(library).search(terms, countries)

    assert said in caught.value.message
    assert library.requests == []


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"ad_reached_countries": '["US"]'}, "search_terms or search_page_ids"),
        ({"search_terms": "coffee"}, "ad_reached_countries is required"),
        ({"search_terms": "coffee", "ad_reached_countries": "['US']", "fields": "id,nope"}, "nope"),
        (
            {"search_terms": "coffee", "ad_reached_countries": "US", "ad_active_status": "ON"},
            "ad_active_status",
        ),
    ],
)
def test_the_fake_refuses_what_meta_refuses(
    library: FakeAdLibrary, params: dict[str, str], said: str
) -> None:
    response = httpx.get(
        f"{library.url}/{VERSION}/ads_archive", params={"access_token": TOKEN, **params}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert said in error["message"]


def test_the_fake_searches_by_page_id(library: FakeAdLibrary) -> None:
    response = httpx.get(
        f"{library.url}/{VERSION}/ads_archive",
        params={
            "access_token": TOKEN,
            "search_page_ids": "104000000000010",
            "ad_reached_countries": '["ALL"]',
        },
    )

    assert response.json()["data"] == [{"id": i} for i in seeded(31, 32, 33)]


def test_the_seeded_ads_are_varied() -> None:
    assert len(SEED_ADS) >= 30
    assert len({ad.page_name for ad in SEED_ADS}) >= 10
    assert len({ad.id for ad in SEED_ADS}) == len(SEED_ADS)
    assert any(ad.stopped for ad in SEED_ADS)
    assert {lang for ad in SEED_ADS for lang in ad.languages} >= {"en", "de", "fr"}


# --- the summary --------------------------------------------------------------------------------


def ad(
    number: int,
    page: str | None,
    body: str | None,
    *,
    title: str | None = None,
    platforms: tuple[str, ...] = ("facebook",),
    started: date | None = None,
    languages: tuple[str, ...] = ("en",),
) -> LibraryAd:
    return LibraryAd(
        id=str(number),
        page_name=page,
        body=body,
        title=title,
        description=None,
        caption=None,
        platforms=platforms,
        started=started,
        snapshot_url=None,
        languages=languages,
    )


ADS = [
    ad(
        1,
        "Glow Lab",
        "Tired of dull skin? Our serum works in 14 days. 20% off, shop now.",
        platforms=("facebook", "instagram"),
        started=date(2026, 6, 1),  # 30 days
    ),
    ad(
        2,
        "Glow Lab",
        "tired of DULL skin?!\nMeet the serum. Free shipping.",
        title="Shop now",
        platforms=("instagram",),
        started=date(2026, 6, 21),  # 10 days
    ),
    ad(
        3,
        "Dermaroot",
        "Tired of breakouts? Save 15% with code SKIN. Learn more.",
        platforms=("facebook", "instagram"),
        started=date(2026, 4, 2),  # 90 days
    ),
    ad(
        4,
        "Bean Club",
        "Your morning coffee, better. Buy one get one free this week. Sign up!",
        platforms=("facebook",),
        started=date(2026, 6, 26),  # 5 days
        languages=("en", "fr"),
    ),
    ad(5, None, None, started=None, languages=()),
    ad(6, "Dermaroot", "Last chance: 20% off ends tonight. Shop now.", started=date(2026, 8, 1)),
]


def test_a_summary_counts_the_ads_and_the_pages_advertising_most() -> None:
    summary = summarize(ADS, TODAY)

    assert summary.ad_count == 6
    # Ties keep the order pages first appear in.
    assert summary.pages == (Tally("Glow Lab", 2), Tally("Dermaroot", 2), Tally("Bean Club", 1))


def test_a_summary_finds_the_openings_that_recur() -> None:
    summary = summarize(ADS, TODAY)

    # The first sentence of the first line, compared without case or punctuation, shown as
    # first written.
    assert summary.hooks == (Tally("Tired of dull skin?", 2),)
    assert summary.opening_words == (Tally("tired of", 3),)
    by_kind = {share.name: share for share in summary.hook_kinds}
    assert by_kind["question"] == Share("question", 3, 0.6)
    assert by_kind["you"] == Share("you", 1, 0.2)
    assert by_kind["number"] == Share("number", 1, 0.2)  # "20% off ends tonight"
    assert by_kind["exclamation"] == Share("exclamation", 1, 0.2)


def test_a_summary_counts_calls_to_action_and_offers() -> None:
    summary = summarize(ADS, TODAY)

    assert summary.calls_to_action == (
        Tally("shop now", 3),
        Tally("learn more", 1),
        Tally("sign up", 1),
    )
    # Ties keep the order of the offer list.
    assert summary.offers == (
        Tally("percent off", 3),
        Tally("free shipping", 1),
        Tally("buy one get one", 1),
        Tally("discount code", 1),
        Tally("limited time", 1),
    )
    assert summary.percent_off == (15, 20)


def test_a_summary_shares_platforms_and_languages_over_all_the_ads() -> None:
    summary = summarize(ADS, TODAY)

    assert summary.platforms == (
        Share("facebook", 5, 0.83),
        Share("instagram", 3, 0.5),
    )
    assert summary.languages == (Share("en", 5, 0.83), Share("fr", 1, 0.17))


def test_a_summary_says_how_long_the_ads_have_run() -> None:
    summary = summarize(ADS, TODAY)

    # 30, 10, 90, 5 and 0 (an ad dated after today counts as starting today); one undated.
    assert summary.median_days_running == 10.0
    assert summary.longest_running_days == 90
    assert summary.running_30_days_or_more == 2

    even = summarize(ADS[:4], TODAY)
    assert even.median_days_running == 20.0  # (10 + 30) / 2


def test_a_summary_is_deterministic_and_reads_as_sentences() -> None:
    first, second = summarize(ADS, TODAY), summarize(list(ADS), TODAY)

    assert first == second
    lines = first.sentences()
    assert lines[0] == "6 ads found."
    assert "Advertising most: Glow Lab (2), Dermaroot (2), Bean Club (1)." in lines
    assert 'Recurring openings: "Tired of dull skin?" (2)' in lines
    assert any(line.startswith("Offers: percent off (3: 15%, 20%)") for line in lines)
    assert "Running for 10 days at the median (longest 90); 2 for 30 days or more." in lines


def test_a_summary_of_nothing() -> None:
    summary = summarize([], TODAY)

    assert summary.ad_count == 0
    assert summary.pages == summary.hooks == summary.calls_to_action == ()
    assert summary.platforms == summary.languages == ()
    assert summary.median_days_running is None
    assert summary.longest_running_days is None
    assert summary.sentences() == ["No ads found."]


def test_a_summary_of_a_search(library: FakeAdLibrary) -> None:
    ads = client(library).search("serum", ["US", "GB", "DE", "CA"], limit=50)

    summary = summarize(ads, TODAY)

    assert summary.ad_count == len(ads) == 6
    assert summary.pages[0] == Tally("Glow Lab", 4)
    assert summary.hooks == (Tally("Tired of dull skin?", 2),)
    assert summary.percent_off == (20, 25)
    assert {s.name for s in summary.platforms} >= {"facebook", "instagram"}
