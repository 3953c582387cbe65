"""Periodic duties that keep the system's promises when a process dies halfway.

A job whose worker died, a delivery whose task was lost, idempotency keys past their time,
outputs past their retention: each domain knows what of its own can be left behind and how to
settle it, and registers that as a duty (the composition root does, ``krev.composition``).
The janitor runs every duty every ``interval`` seconds in a daemon thread, in every worker
process and in the embedded API process; duties are written as conditional updates, so several
janitors at once do each thing once. One duty failing does not stop the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("krev.platform.janitor")

Duty = Callable[[], int]
"""Does one round of its work; returns how many things it settled (for the log)."""


class Janitor:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.duties: dict[str, Duty] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, name: str, duty: Duty) -> None:
        self.duties[name] = duty

    def sweep(self) -> dict[str, int]:
        """Every duty once, now; what each settled (a failed duty is logged, not raised)."""
        done: dict[str, int] = {}
        for name, duty in self.duties.items():
            try:
                done[name] = duty()
            except Exception:
                log.exception("janitor_duty_failed", duty=name)
        settled = {name: count for name, count in done.items() if count}
        if settled:
            log.info("janitor_sweep", **settled)
        return done

    def start(self) -> Janitor:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="krev-janitor", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sweep()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
