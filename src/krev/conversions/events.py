"""Checks a POST /conversions/meta body against Meta's rules and turns it into the events
Meta will receive: required fields, event_time in seconds within the last 7 days, a known
action_source, website events with their URL and user agent, user_data normalised and hashed.

Accepts the reference's single event object and Meta's batch shape ``{"data": [...]}``; a
single event is reported as ``data[0]``. Every problem names the event and field, e.g.
``data[3].event_time: …``; one bad event refuses the whole request, as Meta does.

Numbers must be finite: Python's JSON reader turns ``NaN``, ``Infinity`` and an overflowing
``1e309`` into floats that no JSON writer may put back, so such an event could never be sent.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from krev.conversions.normalize import InvalidCustomerInfo, normalize_user_data
from krev.errors import BadRequest
from krev.kit.validation import NUL_PROBLEM, nul_characters, text_paths

MAX_EVENTS = 1000
MAX_EVENT_AGE_SECONDS = 7 * 86400
# Clocks differ; Meta tolerates a little future, and so do we.
MAX_FUTURE_SKEW_SECONDS = 300
# A Unix time in seconds this large is centuries away: the caller sent milliseconds.
MILLISECONDS_THRESHOLD = 100_000_000_000

ACTION_SOURCES = (
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
)
# Meta's server event parameters besides the ones checked one by one below.
_PASSED_THROUGH = (
    "custom_data",
    "app_data",
    "opt_out",
    "data_processing_options",
    "data_processing_options_country",
    "data_processing_options_state",
    "referrer_url",
    "messaging_channel",
    "original_event_data",
    "attribution_data",
    "customer_segmentation",
)
_CHECKED = (
    "event_name",
    "event_time",
    "event_id",
    "action_source",
    "event_source_url",
    "user_data",
)
EVENT_FIELDS = frozenset(_CHECKED + _PASSED_THROUGH)
_OBJECT_FIELDS = ("custom_data", "app_data", "original_event_data", "attribution_data")
_BATCH_FIELDS = frozenset({"data", "test_event_code"})


@dataclass(frozen=True)
class ConversionEventIn:
    event_name: str
    event_id: str | None
    payload: dict[str, Any]  # exactly what Meta receives for this event

    @property
    def dedup_key(self) -> str | None:
        """Meta deduplicates on (event_name, event_id); so do we, under a fixed-size key."""
        if self.event_id is None:
            return None
        return hashlib.sha256(f"{self.event_name}\x00{self.event_id}".encode()).hexdigest()


@dataclass(frozen=True)
class ConversionBatchIn:
    events: list[ConversionEventIn]
    test_event_code: str | None


class _Problems:
    def __init__(self) -> None:
        self.sentences: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.sentences.append(f"{where}: {problem}")

    def raise_if_any(self) -> None:
        if not self.sentences:
            return
        shown = self.sentences[:3]
        text = " ".join(s if s.endswith(".") else s + "." for s in shown)
        more = len(self.sentences) - len(shown)
        if more:
            text += f" ({more} more problem{'s' if more > 1 else ''}.)"
        raise BadRequest(text)


def parse_body(body: Any, now: float) -> ConversionBatchIn:
    """The events of a request body, or ``BadRequest`` naming every problem (up to three)."""
    if not isinstance(body, dict):
        raise BadRequest('The request body must be a JSON object: one event, or {"data": [...]}.')
    if "data" in body:
        unknown = sorted(set(body) - _BATCH_FIELDS)
        if unknown:
            raise BadRequest(
                f"Unknown field(s) next to data: {', '.join(unknown)}. A batch is "
                '{"data": [...], "test_event_code"?}; put event fields inside each event.'
            )
        raw_events = body["data"]
        if not isinstance(raw_events, list) or not raw_events:
            raise BadRequest("data must be a non-empty list of events.")
        if len(raw_events) > MAX_EVENTS:
            raise BadRequest(
                f"data has {len(raw_events)} events; Meta accepts at most {MAX_EVENTS} per "
                "request. Split them into several requests."
            )
    else:
        raw_events = [{name: value for name, value in body.items() if name != "test_event_code"}]
    test_event_code = body.get("test_event_code")
    if test_event_code is not None and (
        not isinstance(test_event_code, str) or not 0 < len(test_event_code.strip()) <= 64
    ):
        raise BadRequest("test_event_code must be a string of 1 to 64 characters.")
    if test_event_code is not None and "\x00" in test_event_code:
        raise BadRequest(f"test_event_code {NUL_PROBLEM}.")
    if test_event_code is not None and _lone_surrogate(test_event_code):
        raise BadRequest("test_event_code must be Unicode text.")
    problems = _Problems()
    events = [_parse_event(index, raw, now, problems) for index, raw in enumerate(raw_events)]
    problems.raise_if_any()
    return ConversionBatchIn(
        events=[event for event in events if event is not None],
        test_event_code=test_event_code.strip() if test_event_code else None,
    )


def _parse_event(index: int, raw: Any, now: float, problems: _Problems) -> ConversionEventIn | None:
    where = f"data[{index}]"
    if not isinstance(raw, dict):
        problems.add(where, "each event must be a JSON object")
        return None
    before = len(problems.sentences)
    for path in non_finite_numbers(raw):
        problems.add(f"{where}.{path}", "must be a finite number (JSON has no NaN or Infinity)")
    for path in nul_characters(raw):
        problems.add(f"{where}.{path}", NUL_PROBLEM)
    for path in text_paths(raw, _lone_surrogate):
        problems.add(
            f"{where}.{path}",
            "must be Unicode text (it holds an unpaired surrogate, \\ud800-\\udfff)",
        )
    for name in sorted(set(raw) - EVENT_FIELDS):
        problems.add(f"{where}.{name}", "is not a Meta server event parameter")
    for name in _CHECKED:
        if name in ("event_id", "event_source_url"):
            continue
        if raw.get(name) is None:
            problems.add(f"{where}.{name}", "is required")

    event_name = raw.get("event_name")
    if event_name is not None and (
        not isinstance(event_name, str) or not event_name.strip() or len(event_name) > 255
    ):
        problems.add(f"{where}.event_name", "must be a non-empty string of at most 255 characters")

    event_time = raw.get("event_time")
    if event_time is not None:
        problem = _event_time_problem(event_time, now)
        if problem:
            problems.add(f"{where}.event_time", problem)

    raw_event_id = raw.get("event_id")
    if isinstance(raw_event_id, int) and not isinstance(raw_event_id, bool):
        raw_event_id = str(raw_event_id)
    event_id: str | None = None
    if isinstance(raw_event_id, str) and raw_event_id.strip() and len(raw_event_id) <= 255:
        event_id = raw_event_id
    elif raw_event_id is not None:
        problems.add(f"{where}.event_id", "must be a non-empty string of at most 255 characters")

    action_source = raw.get("action_source")
    if action_source is not None and action_source not in ACTION_SOURCES:
        problems.add(f"{where}.action_source", f"must be one of {', '.join(ACTION_SOURCES)}")

    url = raw.get("event_source_url")
    if url is not None and not _is_web_url(url):
        problems.add(f"{where}.event_source_url", "must be an http:// or https:// URL")
    if action_source == "website" and url is None:
        problems.add(f"{where}.event_source_url", "is required for website events")

    for name in _OBJECT_FIELDS:
        if raw.get(name) is not None and not isinstance(raw[name], dict):
            problems.add(f"{where}.{name}", "must be a JSON object")

    user_data = raw.get("user_data")
    hashed: dict[str, Any] = {}
    if user_data is not None:
        if not isinstance(user_data, dict):
            problems.add(f"{where}.user_data", "must be a JSON object")
        else:
            try:
                hashed = normalize_user_data(user_data)
            except InvalidCustomerInfo as error:
                problems.add(f"{where}.user_data.{error.field}", error.message)
            else:
                if not hashed:
                    problems.add(
                        f"{where}.user_data",
                        "must identify the customer (e.g. email, phone, external_id, "
                        "client_ip_address with client_user_agent, fbp or fbc)",
                    )
                elif action_source == "website" and "client_user_agent" not in hashed:
                    problems.add(
                        f"{where}.user_data.client_user_agent", "is required for website events"
                    )
    if len(problems.sentences) > before:
        return None

    payload: dict[str, Any] = {
        "event_name": event_name,
        "event_time": event_time,
        "action_source": action_source,
        "user_data": hashed,
    }
    if event_id is not None:
        payload["event_id"] = event_id
    if url is not None:
        payload["event_source_url"] = url
    for name in _PASSED_THROUGH:
        if raw.get(name) is not None:
            payload[name] = raw[name]
    assert isinstance(event_name, str)
    return ConversionEventIn(event_name=event_name, event_id=event_id, payload=payload)


def non_finite_numbers(value: Any, path: str = "") -> Iterator[str]:
    """Where ``value`` holds NaN or an infinity, as ``custom_data.contents[0].item_price``."""
    if isinstance(value, float):
        if not math.isfinite(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite_numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite_numbers(item, f"{path}[{index}]")


def _lone_surrogate(text: str) -> bool:
    """JSON's \\u escapes can spell half a surrogate pair, which is no character: no UTF-8
    encoder (the database's, the Graph request's) takes it."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _event_time_problem(value: Any, now: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be an integer Unix timestamp in seconds"
    if value >= MILLISECONDS_THRESHOLD:
        return "looks like milliseconds; send a Unix timestamp in seconds"
    if value > now + MAX_FUTURE_SKEW_SECONDS:
        return "is in the future"
    if value < now - MAX_EVENT_AGE_SECONDS:
        return "is more than 7 days old; Meta refuses the whole request for such an event"
    return None


def _is_web_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
