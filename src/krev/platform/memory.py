"""Keeping a worker's resident memory near what its jobs need at once (glibc; a no-op elsewhere).

Image jobs allocate and free hundreds of MB each (decoded photos, OCR feature maps, 4K
renders). glibc gives every thread that allocates its own heap arena, up to eight per core,
and memory freed in one arena is not reused by another nor returned to the system, so a
worker's RSS climbs toward the thread count times the largest job. Measured on the
product-analysis set (40 photos, 2 threads): 1,143 MiB peak as is; 738 MiB with two arenas,
a trim after each job and one OCR inference at a time.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h


@functools.cache
def _glibc() -> Any | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Share a few heap arenas among all threads; call before the worker threads start."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Give the heap's free pages back to the system (after a job, not in a hot path)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# Above this resident size a job's end trims even while other jobs run: a worker kept busy
# without a break would otherwise never give back what its largest jobs freed.
TRIM_ABOVE_BYTES = 768 * 1024 * 1024


class _Running:
    """How many jobs this process is running now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def enter(self) -> None:
        with self._lock:
            self.count += 1

    def leave(self) -> bool:
        """One job ended; True when it was the last one running."""
        with self._lock:
            self.count -= 1
            return self.count == 0


_running = _Running()


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux), or None where /proc cannot tell."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def job_memory() -> Iterator[None]:
    """Around one job: give the heap's free pages back when the last job running in this
    process ends, or when the process has grown large. Trimming after every job instead
    costs the jobs still running: the pages a trim returns are faulted in again by their
    next large allocation (with no trim at all, 1024² studio renders ran about 12% faster,
    418 → 366 ms; whether trimming only at idle gains that much was not resolved within
    bench/chat.py's noise). Peak RSS on 40 product analyses by two `krev worker` processes
    x 2 threads: 765 MiB trimming after every job, 877 MiB only when idle, 824 MiB as here."""
    _running.enter()
    try:
        yield
    finally:
        last = _running.leave()
        if last or (resident_bytes() or 0) > TRIM_ABOVE_BYTES:
            release_free_memory()
