"""Saving outputs to disk: each signed URL's file as ``<generation_id>-<n>.<ext>``.

Signed URLs carry their own permission, so no API key is sent with them (they may name
another host: an S3 bucket's). A file is written under a temporary name and renamed when
whole, so an interrupted download leaves no file that looks finished.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

from krev_client._version import __version__
from krev_client.commands._progress import Bars
from krev_client.commands.exit_codes import CommandError, ExitCode, for_status

# The extensions an output's content type gives, where its URL's path has none.
EXTENSIONS = {
    "image/webp": ".webp",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
}
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
CHUNK_BYTES = 256 * 1024


def save_all(outputs: Iterable[tuple[str, str]], directory: Path, bars: Bars) -> list[Path]:
    """Save each ``(generation_id, url)`` in ``directory`` (made if missing), numbered from 1
    within its generation; the paths saved, in order."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    paths: list[Path] = []
    with httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=True,
        headers={"User-Agent": f"krev-client-python/{__version__}"},
    ) as http:
        for generation_id, url in outputs:
            counts[generation_id] = counts.get(generation_id, 0) + 1
            stem = f"{generation_id}-{counts[generation_id]}"
            paths.append(save(http, url, directory, stem, bars))
    return paths


def save(http: httpx.Client, url: str, directory: Path, stem: str, bars: Bars) -> Path:
    """Download ``url`` into ``directory/<stem><ext>``."""
    part = directory / f".{stem}.part"
    try:
        with http.stream("GET", url) as response:
            if response.status_code >= 400:
                raise CommandError(
                    f"Could not download {stem}: HTTP {response.status_code} from {_where(url)}",
                    for_status(response.status_code),
                )
            path = directory / (stem + extension(url, response.headers.get("content-type")))
            length = response.headers.get("content-length")
            advance = bars.transfer(path.name, int(length) if length and length.isdigit() else None)
            with part.open("wb") as file:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    file.write(chunk)
                    advance(len(chunk))
        os.replace(part, path)
    except httpx.HTTPError as error:
        raise CommandError(
            f"Could not download {stem} from {_where(url)}: {error}", ExitCode.SERVER
        ) from error
    finally:
        with contextlib.suppress(OSError):
            part.unlink()
    return path


def extension(url: str, content_type: str | None) -> str:
    """The file's extension: its URL path's, else its content type's, else ``.bin``."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if 1 < len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix
    kind = (content_type or "").split(";")[0].strip().lower()
    return EXTENSIONS.get(kind, ".bin")


def _where(url: str) -> str:
    """A URL without its query (a signature is no one's business in an error message)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
