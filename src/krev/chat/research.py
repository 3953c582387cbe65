"""Ad-library research for the ``discover`` agent: Meta's Ad Library when the server has a
token (``KREV_META_AD_LIBRARY_TOKEN``), else the account's own products and past creative, and
the result says plainly which it was."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from krev.catalog import service as catalog
from krev.engines.ad_library import (
    AdLibraryClient,
    AdLibraryNotAuthorized,
    LibraryAd,
    summarize,
)
from krev.generations import service as generations
from krev.kit.clock import utcnow
from krev.platform.config import Settings

OWN_PRODUCTS = 50
OWN_CREATIVE = 30
SHOWN_ADS = 10


@dataclass(frozen=True)
class LibrarySearch:
    """What Meta's Ad Library answered (``ads``), or why it would not (``refusal``: the
    operator's token was refused), for the countries searched."""

    countries: list[str]
    ads: list[LibraryAd] = field(default_factory=list)
    refusal: str | None = None


def search_ad_library(
    settings: Settings, terms: str, countries: Sequence[str], limit: int
) -> LibrarySearch | None:
    """Meta's Ad Library searched, over the network; None when the server has no token. Run
    before the call's transaction: a slow API must not hold it (on SQLite, the database's
    write lock)."""
    token = settings.meta_ad_library_token
    if token is None:
        return None
    client = AdLibraryClient(
        settings.meta_graph_url,
        settings.meta_graph_version,
        token.get_secret_value(),
        timeout=settings.llm_timeout_seconds,
    )
    wanted = [c.strip().upper() for c in countries if c.strip()] or [
        c.strip().upper() for c in settings.meta_ad_library_countries.split(",") if c.strip()
    ]
    try:
        return LibrarySearch(wanted, list(client.search(terms, wanted, limit=limit)))
    except AdLibraryNotAuthorized as error:  # the operator's token: research what we have
        return LibrarySearch(wanted, refusal=error.message)


def research(
    session: Session, user_id: uuid.UUID, terms: str, searched: LibrarySearch | None
) -> dict[str, Any]:
    """The research's result: what the Ad Library answered, else the account's own products
    and past creative, saying which it was."""
    if searched is None:
        return own_creative(session, user_id, terms)
    if searched.refusal is not None:
        found = own_creative(session, user_id, terms)
        return {**found, "note": f"{searched.refusal} {found['note']}"}
    summary = summarize(searched.ads, today=utcnow().date())
    return _json_safe(
        {
            "source": "meta_ad_library",
            "note": f"From Meta's Ad Library: active ads in {', '.join(searched.countries)}.",
            "search_terms": terms,
            "countries": searched.countries,
            "summary": asdict(summary),
            "insights": summary.sentences(),
            "ads": [asdict(ad) for ad in searched.ads[:SHOWN_ADS]],
        }
    )


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text: the result is stored on the run as JSON."""
    safe: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return safe


def own_creative(session: Session, user_id: uuid.UUID, terms: str) -> dict[str, Any]:
    """What the account itself has: its ready products (the types, brands and colors it
    sells) and its latest images, videos and ads (what it has tried), with a sentence saying
    that Meta's Ad Library is not configured on this server."""
    products = catalog.ready_products_called(session, user_id, None)[:OWN_PRODUCTS]
    types = Counter(
        str((p.metadata_ or {}).get("productType") or p.category or "product") for p in products
    )
    brands = Counter(str(b) for p in products if (b := (p.metadata_ or {}).get("brandName")))
    creative = generations.recent_creative(session, user_id, OWN_CREATIVE)
    kinds = Counter(item["kind"] for item in creative)
    shapes = Counter(str(item["aspect_ratio"]) for item in creative if item["aspect_ratio"])
    insights = [
        f"Your catalog has {len(products)} ready product(s)"
        + (f": {_tally(types)}." if types else "."),
    ]
    if brands:
        insights.append(f"Brands: {_tally(brands)}.")
    if creative:
        insights.append(f"Your latest creative: {_tally(kinds)}.")
        if shapes:
            insights.append(f"Shapes you use most: {_tally(shapes)}.")
    else:
        insights.append("You have no finished images, videos or ads yet.")
    return {
        "source": "own_catalog",
        "note": "Meta's Ad Library is not configured on this server (the operator sets "
        "KREV_META_AD_LIBRARY_TOKEN), so this research covers your own products and past "
        "creative instead.",
        "search_terms": terms,
        "insights": insights,
        "products": len(products),
        "product_types": types.most_common(5),
        "brands": brands.most_common(5),
        "creative": {
            "count": len(creative),
            "kinds": dict(kinds),
            "aspect_ratios": shapes.most_common(3),
            "latest": creative[:5],
        },
    }


def _tally(counts: Counter[str]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in counts.most_common(5))
