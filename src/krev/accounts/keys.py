"""API key format: ``sk_live_`` + 32 base62 characters + a 6-character base62 CRC32.

The checksum lets a mistyped or made-up key be refused without a database lookup and lets
secret scanners recognise leaked keys. Only an HMAC of the whole key is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib

PREFIX = "sk_live_"
BODY_LENGTH = 32  # 32 * log2(62) ≈ 190 bits of entropy
CHECKSUM_LENGTH = 6
ALPHABET = string.digits + string.ascii_letters
KEY_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH
DISPLAY_LENGTH = len(PREFIX) + 4

SCOPES = ("images", "videos", "products", "credits", "ads", "conversions", "chat")


_KEY_SHAPE = re.compile(re.escape(PREFIX) + "[" + re.escape(ALPHABET) + "]+")


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(key: str) -> bool:
    if len(key) != KEY_LENGTH or _KEY_SHAPE.fullmatch(key) is None:
        return False
    rest = key[len(PREFIX) :]
    body, checksum = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
    return hmac.compare_digest(_checksum(body), checksum)


def hash_key(key: str, pepper: bytes) -> str:
    # A slow password hash adds nothing for a 190-bit random secret; the pepper means a
    # leaked database alone cannot be used to test candidate keys.
    return hmac.new(pepper, key.encode(), hashlib.sha256).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_LENGTH]
