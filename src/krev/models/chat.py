"""Chat: conversations, their messages, and the agent runs that answer them.

A run is one answer to one user message, worked by a ``chat`` generation (its ``job``), so it
is queued, claimed, heart-beaten, cancelled and swept like every job. The run's row holds what
the agent did (its plan, the step it reached, each step's outcome): the pipeline writes a step's
outcome in the same transaction as the work it submitted, so a run resumed after a worker's
death neither repeats a step nor loses one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base
from krev.models.cause import CausedBy


class Conversation(Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (Index("ix_chat_conversations_user_created", "user_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    """The first message, shortened: what a list of conversations shows."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_conversation", "conversation_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    run_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    position: Mapped[int]
    """The message's place in its conversation (0, 1, …): the transcript's order."""
    role: Mapped[str] = mapped_column(String(16))
    """``user`` or ``assistant``."""
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatRun(CausedBy, Base):
    """One agent run; ``CausedBy`` names the key (or session) that started it, which every
    tool call checks again."""

    __tablename__ = "chat_runs"
    __table_args__ = (Index("ix_chat_runs_conversation", "conversation_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    """The run's ``chat`` generation (not a foreign key: output retention may delete the job;
    the run keeps its transcript)."""
    user_message_id: Mapped[uuid.UUID]
    assistant_message_id: Mapped[uuid.UUID]
    agent: Mapped[str] = mapped_column(String(16))
    agent_used: Mapped[str | None] = mapped_column(String(16), default=None)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The request as accepted: message, product ids, reference images, max_credits."""
    plan: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    step: Mapped[int] = mapped_column(default=0)
    """How many of the plan's steps are done."""
    outcomes: Mapped[list[Any]] = mapped_column(default=list)
    """Each done step's outcome, in order (sanitized: what the poll shows as artifacts)."""
    generation_ids: Mapped[list[Any]] = mapped_column(default=list)
    """The media jobs the run submitted, in order."""
    credit_budget: Mapped[int] = mapped_column(default=0)
    credits_committed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    """The run's last known status; the job's, while the job exists, is the one shown."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
