"""Customer information normalised and hashed as Meta specifies, checked against Meta's own
published examples and its documented normal forms."""

from __future__ import annotations

import pytest

from krev.conversions.normalize import (
    InvalidCustomerInfo,
    hash_value,
    normalize_user_data,
    normalize_value,
    sha256_hex,
)

# From Meta's customer information parameter documentation (see REFERENCES.md).
META_VECTORS = [
    (
        "em",
        "John_Smith@gmail.com",
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f",
    ),
    ("ph", "1 (650) 555-1212", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"),
    ("ph", "+1 650-555-1212", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"),
    ("fn", "Mary", "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"),
]


@pytest.mark.parametrize(("key", "value", "expected"), META_VECTORS)
def test_metas_published_examples(key: str, value: str, expected: str) -> None:
    assert hash_value(key, value) == expected


@pytest.mark.parametrize(
    ("key", "value", "normal"),
    [
        ("em", "  Jane.Doe+ads@Example.COM ", "jane.doe+ads@example.com"),
        ("ph", "+44 20 7946 0958", "442079460958"),
        ("ph", "0044 20 7946 0958", "442079460958"),
        ("ph", "+1 (616) 954-78 88", "16169547888"),
        ("fn", "Mary-Ann!", "maryann"),
        ("fn", "Valéry", "valéry"),
        ("ln", "O'Brien", "obrien"),
        ("ct", "New York", "newyork"),
        ("ct", "St. Louis", "stlouis"),
        ("st", "CA", "ca"),
        ("zp", "94025-1234", "94025"),
        ("zp", "SW1A 1AA", "sw1a1aa"),
        ("country", "US", "us"),
        ("ge", "Female", "f"),
        ("ge", "m", "m"),
        ("db", "1990-02-03", "19900203"),
        ("db", "19900203", "19900203"),
        ("external_id", "  User-42 ", "user-42"),
    ],
)
def test_normal_forms(key: str, value: str, normal: str) -> None:
    assert normalize_value(key, value) == normal
    assert hash_value(key, value) == sha256_hex(normal)


def test_aliases_lists_hashes_and_raw_identifiers() -> None:
    already = sha256_hex("someone@example.com")
    out = normalize_user_data(
        {
            "email": ["A@Example.com", already.upper()],
            "phone_number": "16505551212",
            "zip_code": "10001",
            "country_code": "de",
            "client_ip_address": " 2001:db8::1 ",
            "client_user_agent": "Mozilla/5.0",
            "fbc": "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890",
            "fbp": "fb.1.1558571054389.1098115397",
            "external_id": already,
        }
    )
    assert out == {
        "em": [sha256_hex("a@example.com"), already],
        "ph": sha256_hex("16505551212"),
        "zp": sha256_hex("10001"),
        "country": sha256_hex("de"),
        "client_ip_address": "2001:db8::1",
        "client_user_agent": "Mozilla/5.0",
        "fbc": "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890",
        "fbp": "fb.1.1558571054389.1098115397",
        "external_id": already,
    }


@pytest.mark.parametrize(
    ("user_data", "field"),
    [
        ({"email": "john.example.com"}, "email"),
        ({"em": "john@"}, "em"),
        ({"ph": "12"}, "ph"),
        ({"country": "usa"}, "country"),
        ({"gender": "other"}, "gender"),
        ({"db": "2990-01-01"}, "db"),
        ({"fn": "!!!"}, "fn"),
        ({"email": []}, "email"),
        ({"email": "a@b.co", "em": "c@d.co"}, "em"),
        ({"favourite_colour": "red"}, "favourite_colour"),
    ],
)
def test_values_meta_would_not_match_are_refused(user_data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCustomerInfo) as raised:
        normalize_user_data(user_data)
    assert raised.value.field == field
