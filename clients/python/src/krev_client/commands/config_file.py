"""The file ``krev login`` writes: the API key and the server's address, kept private.

It lives at ``$XDG_CONFIG_HOME/krev/config.toml`` (``~/.config/krev/config.toml`` when
``XDG_CONFIG_HOME`` is unset), created mode 0600 in a directory of mode 0700: it holds a
secret. A command takes its key from ``--api-key``, else ``KREV_API_KEY``, else this file,
and its server from ``--base-url``, else ``KREV_BASE_URL``, else this file, else the default.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from krev_client._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, resolve_base_url
from krev_client.commands.exit_codes import CommandError, ExitCode
from krev_client.errors import KrevError

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


@dataclass(frozen=True)
class Profile:
    """What the config file holds; either may be missing."""

    api_key: str | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class Connection:
    """The key and the server a command uses, resolved."""

    api_key: str
    base_url: str


def config_path() -> Path:
    """Where the file is. A relative ``XDG_CONFIG_HOME`` is ignored, as the XDG spec asks."""
    configured = os.environ.get("XDG_CONFIG_HOME")
    root = Path(configured) if configured and os.path.isabs(configured) else None
    return (root or Path.home() / ".config") / "krev" / "config.toml"


def load() -> Profile:
    """The file's profile; an empty one when there is no file."""
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Profile()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}", ExitCode.USAGE) from error
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CommandError(
            f"{path} is not valid TOML ({error}); fix it, or run `krev login` again.",
            ExitCode.USAGE,
        ) from error
    profile = Profile(api_key=_string(values, "api_key"), base_url=_string(values, "base_url"))
    if profile.api_key and _shared(path):
        print(
            f"Warning: {path} holds an API key and others may read it: chmod 600 it.",
            file=sys.stderr,
        )
    return profile


def save(profile: Profile) -> Path:
    """Write the file, replacing it whole: created 0600 (in a 0700 directory) before the key
    is written, then moved into place, so it is never readable by others nor half written."""
    path = config_path()
    path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(path.parent, DIRECTORY_MODE)
    lines = [
        "# Written by `krev login`; `krev logout` removes it. It holds a secret: keep it 0600."
    ]
    if profile.api_key is not None:
        lines.append(f"api_key = {toml_string(profile.api_key)}")
    if profile.base_url is not None:
        lines.append(f"base_url = {toml_string(profile.base_url)}")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        if hasattr(os, "fchmod"):  # mkstemp's own mode, said rather than assumed
            os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def remove() -> Path | None:
    """Delete the file; its path, or None when there was none."""
    path = config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def resolve(api_key: str | None, base_url: str | None) -> Connection:
    """The key: ``--api-key``, else ``KREV_API_KEY``, else the file. The server:
    ``--base-url``, else ``KREV_BASE_URL``, else the file, else the default."""
    api_key = api_key or os.environ.get(API_KEY_ENV) or None
    base_url = base_url or os.environ.get(BASE_URL_ENV) or None
    if api_key is None or base_url is None:  # the file is read only when it is needed
        profile = load()
        api_key = api_key or profile.api_key
        base_url = base_url or profile.base_url
    if not api_key:
        raise CommandError(
            f"No API key: run `krev login`, set {API_KEY_ENV} or pass --api-key.", ExitCode.AUTH
        )
    return Connection(api_key=api_key, base_url=checked_base_url(base_url or DEFAULT_BASE_URL))


def default_base_url() -> str:
    """The server a login goes to when not told: ``KREV_BASE_URL``, the file's, the default
    (a file that cannot be read is passed over: the login replaces it)."""
    configured = os.environ.get(BASE_URL_ENV)
    if configured:
        return configured
    try:
        return load().base_url or DEFAULT_BASE_URL
    except CommandError:
        return DEFAULT_BASE_URL


def checked_base_url(base_url: str) -> str:
    """``base_url`` as given, once it is known to be an http(s) URL (a usage error if not)."""
    try:
        resolve_base_url(base_url)
    except KrevError as error:
        raise CommandError(str(error), ExitCode.USAGE) from error
    return base_url.strip()


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for character in value:
        if character in ('"', "\\"):
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04X}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def _string(values: dict[str, object], key: str) -> str | None:
    value = values.get(key)
    return value if isinstance(value, str) and value else None


def _shared(path: Path) -> bool:
    """Whether others than its owner may read or write the file (POSIX only)."""
    if os.name != "posix":
        return False
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except OSError:
        return False
