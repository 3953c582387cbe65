"""The Meta access token at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
the server secret with HKDF, so a database dump alone does not reveal any account's token."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A purpose label: the same secret signs URLs and CSRF tokens; this key serves only tokens.
_INFO = b"krev/conversions/meta-access-token/v1"


@functools.cache
def _fernet(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_token(secret: bytes, token: str) -> str:
    return _fernet(secret).encrypt(token.encode()).decode("ascii")


def decrypt_token(secret: bytes, encrypted: str) -> str:
    """The token; ``ValueError`` when it was encrypted under another server secret."""
    try:
        return _fernet(secret).decrypt(encrypted.encode("ascii")).decode()
    except InvalidToken as error:
        raise ValueError("the stored access token cannot be decrypted with this secret") from error


def token_hint(token: str) -> str:
    """What may be shown of a token: its last four characters."""
    return "…" + token[-4:]
