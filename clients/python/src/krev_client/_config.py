"""Where the client connects and with which key: arguments first, then the environment."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from krev_client.errors import KrevError

API_KEY_ENV = "KREV_API_KEY"
BASE_URL_ENV = "KREV_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"


def resolve_api_key(api_key: str | None) -> str:
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not key:
        raise KrevError(
            f"No API key: pass api_key=... or set {API_KEY_ENV} (keys look like sk_live_…)."
        )
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The API's root (``…/api/v1``), from a server's address given with or without it."""
    url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KrevError(f"The base URL must be an http(s) URL, e.g. {DEFAULT_BASE_URL}: {url!r}")
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return urlunsplit((parts.scheme, parts.netloc, path + API_PREFIX, "", ""))


def api_path(url: str, fallback: str) -> str:
    """The path below the API's root that an absolute URL the server gave (a ``poll_url``)
    names, to be requested from this client's own base URL.

    The server builds its URLs from its public address, which a client behind a tunnel or in
    another container may not reach, and the API key is sent only where the client was told
    to send it. ``fallback`` serves a URL with no ``/api/v1/`` in it.
    """
    path = urlsplit(url).path
    marker = API_PREFIX + "/"
    index = path.find(marker)
    return path[index + len(API_PREFIX) :] if index >= 0 else fallback
