"""What caused a write: the API key or dashboard session behind a generation or a credit move.

Agencies run one key per client, and who spent what cannot be worked out afterwards, so every
generation and every ledger entry records its cause when it is written (``CausedBy``):

- ``api``: a request with a bearer key (``api_key_id``);
- ``dashboard``: a request with the dashboard's session cookie (``dashboard_session_id``);
- ``admin``: the ``krev admin`` commands (grants, adjustments);
- ``system``: what the calendar does (a monthly reset, a new account's opening balance);
- ``chat:<run id>``: a step of a chat run (kept for the chat endpoints; nothing writes it yet);
- ``unknown``: rows written before causes were recorded (migration 0007), never a new cause.

A refund is part of the job it refunds: it carries the generation's cause, whoever (a worker,
the janitor, a cancel) made it, so one key's ledger entries add up to what that key spent.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

API = "api"
DASHBOARD = "dashboard"
ADMIN = "admin"
SYSTEM = "system"
UNKNOWN = "unknown"
SOURCE_LENGTH = 64
_SOURCE = re.compile(
    r"(?:api|dashboard|admin|system|unknown"
    r"|chat:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


@dataclass(frozen=True)
class Cause:
    """Who or what a write was made for; refused on construction if it does not add up."""

    source: str
    api_key_id: uuid.UUID | None = None
    dashboard_session_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if not _SOURCE.fullmatch(self.source):
            raise ValueError(
                f"unknown cause source {self.source!r}: api, dashboard, admin, system, "
                "unknown or chat:<run id>"
            )
        if self.api_key_id is not None and self.dashboard_session_id is not None:
            raise ValueError("a cause is a key or a dashboard session, not both")
        if self.source == API and self.api_key_id is None:
            raise ValueError("an api cause names its key")
        if self.source == DASHBOARD and self.dashboard_session_id is None:
            raise ValueError("a dashboard cause names its session")
        if self.source in (ADMIN, SYSTEM, UNKNOWN) and (
            self.api_key_id is not None or self.dashboard_session_id is not None
        ):
            raise ValueError(f"a {self.source} cause has no key or session")

    def columns(self) -> dict[str, Any]:
        """The ``CausedBy`` columns' values, for a row being written."""
        return {
            "source": self.source,
            "api_key_id": self.api_key_id,
            "dashboard_session_id": self.dashboard_session_id,
        }

    @classmethod
    def api(cls, key_id: uuid.UUID) -> Cause:
        return cls(API, api_key_id=key_id)

    @classmethod
    def dashboard(cls, session_id: uuid.UUID) -> Cause:
        return cls(DASHBOARD, dashboard_session_id=session_id)

    @classmethod
    def admin(cls) -> Cause:
        return cls(ADMIN)

    @classmethod
    def system(cls) -> Cause:
        return cls(SYSTEM)

    @classmethod
    def chat(
        cls,
        run_id: uuid.UUID,
        *,
        api_key_id: uuid.UUID | None = None,
        dashboard_session_id: uuid.UUID | None = None,
    ) -> Cause:
        """A chat run's step, with the key or session that started the run."""
        return cls(f"chat:{run_id}", api_key_id, dashboard_session_id)


class CausedBy:
    """The columns that record a row's cause (on ``generations`` and ``credit_ledger``).

    ``api_key_id`` is a foreign key without cascade: keys are revoked, never deleted, and the
    history must outlive them. ``dashboard_session_id`` is not one: sessions are short-lived
    rows that may be pruned, and the id stays in the history as it was."""

    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    dashboard_session_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    @property
    def cause(self) -> Cause:
        return Cause(self.source, self.api_key_id, self.dashboard_session_id)
