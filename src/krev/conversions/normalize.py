"""Customer information for Meta: friendly names mapped to Meta's keys, each value normalised
and SHA-256 hashed the way Meta's Conversions API documentation specifies.

Why not the official ``facebook-business`` SDK (``facebook_business.adobjects.serverside``)?
It was evaluated for exactly this and is not a dependency:

- it is heavy for the few lines it would save: it pulls requests, aiohttp, curlify and
  pycountry, and sends through a process-global ``FacebookAdsApi`` session, whereas delivery
  here is our own outbox + worker with its own timeouts and retries;
- its normaliser fails open or loudly in ways a forwarding API cannot use: an invalid email or
  country raises ``TypeError``, a phone that matches no pattern raises ``AttributeError``, and a
  name is lowercased but keeps its punctuation, against Meta's own rule for ``fn``/``ln``.

So the rules are written here, following the SDK where Meta's documentation is silent:
every value is trimmed and lowercased first and a value that already is a 64-hex SHA-256
passes through untouched; ``em`` must look like the SDK's email pattern; ``ph`` keeps digits
only, without a leading ``+`` or ``00`` (the country code must be in the number); ``ct`` and
``st`` keep letters only; ``zp`` drops spaces and anything after a dash (ZIP+4); ``country``
must be an ISO 3166-1 alpha-2 code; ``ge`` is ``f`` or ``m``; ``db`` is ``YYYYMMDD``. Meta's
published examples are the tests' vectors. ``external_id`` is hashed (Meta recommends it),
and the identifiers Meta says not to hash (``client_ip_address``, ``client_user_agent``,
``fbc``, ``fbp`` …) are sent as given.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

# Meta's keys that are normalised then hashed, and the friendly names accepted for them.
HASHED_KEYS = ("em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country", "external_id")
ALIASES: dict[str, str] = {
    "email": "em",
    "phone": "ph",
    "phone_number": "ph",
    "first_name": "fn",
    "last_name": "ln",
    "date_of_birth": "db",
    "gender": "ge",
    "city": "ct",
    "state": "st",
    "zip": "zp",
    "zip_code": "zp",
    "postal_code": "zp",
    "country_code": "country",
}
# Sent as given: Meta matches these on their raw values.
PLAIN_KEYS = (
    "client_ip_address",
    "client_user_agent",
    "fbc",
    "fbp",
    "subscription_id",
    "fb_login_id",
    "lead_id",
    "anon_id",
    "madid",
    "page_id",
    "page_scoped_user_id",
    "ctwa_clid",
    "ig_account_id",
    "ig_sid",
)

_SHA256 = re.compile(r"^[a-f0-9]{64}$")
_EMAIL = re.compile(r"^[a-z0-9_.+-]+@[a-z0-9-]+\.[a-z0-9-.]+$")
_DATE = re.compile(r"^(\d{4})[-/.]?(\d{2})[-/.]?(\d{2})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")

# ISO 3166-1 alpha-2, as Meta asks for ``country``.
COUNTRIES = frozenset(
    # One block of codes reads better than 249 quoted strings.
    """ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq
    br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do
    dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu
    gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw
    ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu
    mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw
    py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf
    tg th tj tk tl tm tn to tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws ye yt za
    zm zw""".split()  # noqa: SIM905
)


class InvalidCustomerInfo(ValueError):
    """A value that cannot be normalised; the message says why without repeating the value
    (it is personal data), and ``field`` is the key as the caller spelled it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _letters_only(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch).startswith("L"))


def _email(text: str) -> str:
    if "@" not in text:
        raise InvalidCustomerInfo("is not an email address (it has no @)")
    if not _EMAIL.match(text):
        raise InvalidCustomerInfo("is not a valid email address")
    return text


def _phone(text: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", text)
    digits = re.sub(r"^\+?(00)?", "", digits)
    if not digits.isdigit() or not digits.isascii():
        raise InvalidCustomerInfo("must be a phone number: digits, with its country code")
    if digits.startswith("0"):
        raise InvalidCustomerInfo(
            "must include the country code (e.g. 16505551212 for a US number), "
            "not a national number starting with 0"
        )
    if not 7 <= len(digits) <= 15:
        raise InvalidCustomerInfo("must have 7 to 15 digits including the country code")
    return digits


def _name(text: str) -> str:
    # Meta: lowercase, no punctuation, UTF-8 letters kept (é stays é).
    kept = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "S")))
    kept = " ".join(kept.split())
    if not kept:
        raise InvalidCustomerInfo("has no letters left after removing punctuation")
    return kept


def _place(text: str) -> str:
    kept = _letters_only(text)
    if not kept:
        raise InvalidCustomerInfo("has no letters")
    return kept


def _zip(text: str) -> str:
    kept = re.sub(r"\s", "", text).split("-")[0]
    if not kept:
        raise InvalidCustomerInfo("is empty after removing spaces")
    return kept


def _country(text: str) -> str:
    code = re.sub(r"[^a-z]", "", text)
    if code not in COUNTRIES:
        raise InvalidCustomerInfo("must be an ISO 3166-1 alpha-2 country code, e.g. us")
    return code


def _gender(text: str) -> str:
    if text in ("f", "female"):
        return "f"
    if text in ("m", "male"):
        return "m"
    raise InvalidCustomerInfo("must be f or m")


def _birth_date(text: str) -> str:
    match = _DATE.match(text)
    if match is None:
        raise InvalidCustomerInfo("must be a date as YYYYMMDD or YYYY-MM-DD")
    try:
        born = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as error:
        raise InvalidCustomerInfo("is not a real calendar date") from error
    if born.year < 1900 or born > date.today():
        raise InvalidCustomerInfo("is not a plausible date of birth")
    return born.strftime("%Y%m%d")


def _identity(text: str) -> str:
    return text


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "em": _email,
    "ph": _phone,
    "fn": _name,
    "ln": _name,
    "db": _birth_date,
    "ge": _gender,
    "ct": _place,
    "st": _place,
    "zp": _zip,
    "country": _country,
    "external_id": _identity,
}


def normalize_value(key: str, value: str) -> str:
    """Meta's normal form of one value of a hashed key (before hashing)."""
    return _NORMALISERS[key](value.strip().lower())


def hash_value(key: str, value: str) -> str:
    """What Meta receives for one value of a hashed key: its SHA-256 (hex) of the normal form,
    or the value itself when it already is a SHA-256 hex digest."""
    text = value.strip().lower()
    if _SHA256.match(text):
        return text
    return sha256_hex(normalize_value(key, value))


def _values(raw: Any) -> tuple[list[str], bool]:
    """The string values of a field and whether it was a list (Meta accepts both)."""
    if isinstance(raw, str):
        values, many = [raw], False
    elif isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
        values, many = list(raw), True
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        values, many = [str(raw)], False
    else:
        raise InvalidCustomerInfo("must be a string or a non-empty list of strings")
    if any(not value.strip() for value in values):
        raise InvalidCustomerInfo("must not be empty")
    return values, many


def normalize_user_data(user_data: dict[str, Any]) -> dict[str, Any]:
    """Meta's ``user_data`` from ours; ``InvalidCustomerInfo`` names the field at fault."""
    out: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for name, raw in user_data.items():
        key = ALIASES.get(name, name)
        if key not in HASHED_KEYS and key not in PLAIN_KEYS:
            raise InvalidCustomerInfo("is not a Meta customer information parameter", name)
        if key in spelled:
            raise InvalidCustomerInfo(f"repeats {spelled[key]}; send one of them", name)
        spelled[key] = name
        if raw is None:
            continue
        try:
            values, many = _values(raw)
            if key in HASHED_KEYS:
                hashed = [hash_value(key, value) for value in values]
            else:
                hashed = [_plain(key, value) for value in values]
        except InvalidCustomerInfo as error:
            raise InvalidCustomerInfo(error.message, name) from None
        out[key] = hashed if many else hashed[0]
    return out


def _plain(key: str, value: str) -> str:
    value = value.strip()
    if key == "client_ip_address":
        try:
            ipaddress.ip_address(value)
        except ValueError as error:
            raise InvalidCustomerInfo("must be an IPv4 or IPv6 address") from error
    return value
