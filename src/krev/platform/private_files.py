"""Creating the embedded mode's files so that only the server's own user can read them.

The SQLite database holds key hashes, sessions and every user's records, the queue holds
job arguments, the secret key signs URLs and CSRF tokens, and stored objects are users'
images: none of it is for the machine's other accounts. Directories Krev creates are 0700
and files 0600 whatever the umask; what already exists is left as the operator made it.
SQLite gives a database's -wal and -shm files the database file's own mode, so creating the
database file first is enough for all three.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` (and any missing parents) unless it exists; the directory itself 0700."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process made it just now
        path.mkdir(mode=PRIVATE_DIR_MODE)
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        path.chmod(PRIVATE_FILE_MODE)


def write_private_file_once(path: Path, data: bytes) -> None:
    """Write ``path`` whole and 0600 unless it exists; of processes racing, one wins.

    The bytes go to a temporary file first and are linked into place, so a process that
    loses the race (or a reader) never sees a half-written file.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temp.chmod(PRIVATE_FILE_MODE)
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def create_sqlite_file(url: str) -> None:
    """Create the database file of a ``sqlite:///path`` URL 0600 before SQLite does (0644).

    An empty file is an empty database to SQLite. In-memory databases, URI filenames and a
    file whose directory does not exist (SQLite will say so) are left to SQLite.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        create_private_file(path)
