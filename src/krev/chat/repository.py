"""The chat tables: conversations, messages and runs. Ownership is part of every query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import ChatMessage, ChatRun, Conversation

CONVERSATIONS = Keyset("chat_conversations", (Conversation.created_at, Conversation.id))


class ConversationRepository(Repository[Conversation]):
    model = Conversation

    def page_for_user(self, user_id: uuid.UUID, page: PageRequest) -> Page[Conversation]:
        stmt = select(Conversation).where(Conversation.user_id == user_id)
        return self.paginate(stmt, CONVERSATIONS, page)

    def lock_owned(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> Conversation | None:
        """The user's conversation, locked to commit: two messages sent to it at once take
        their places one after the other."""
        stmt = (
            select(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == user_id)
            .with_for_update()
        )
        return self.session.scalars(stmt).first()

    def touch(self, conversation_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(updated_at=now)
        )


class MessageRepository(Repository[ChatMessage]):
    model = ChatMessage

    def next_position(self, conversation_id: uuid.UUID) -> int:
        stmt = select(func.max(ChatMessage.position)).where(
            ChatMessage.conversation_id == conversation_id
        )
        last = self.session.scalar(stmt)
        return 0 if last is None else last + 1

    def of_conversation(self, conversation_id: uuid.UUID) -> list[ChatMessage]:
        stmt = (
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.position)
        )
        return list(self.session.scalars(stmt))

    def by_ids(self, ids: Sequence[uuid.UUID]) -> list[ChatMessage]:
        stmt = select(ChatMessage).where(ChatMessage.id.in_(ids)).order_by(ChatMessage.position)
        return list(self.session.scalars(stmt))

    def set_content(self, message_id: uuid.UUID, content: str) -> None:
        self.session.execute(
            update(ChatMessage).where(ChatMessage.id == message_id).values(content=content)
        )


class RunRepository(Repository[ChatRun]):
    model = ChatRun

    def lock(self, run_id: uuid.UUID) -> ChatRun | None:
        """The run, locked to commit: one worker records a step at a time."""
        stmt = select(ChatRun).where(ChatRun.id == run_id).with_for_update()
        return self.session.scalars(stmt).first()

    def of_conversation(self, conversation_id: uuid.UUID) -> list[ChatRun]:
        stmt = (
            select(ChatRun)
            .where(ChatRun.conversation_id == conversation_id)
            .order_by(ChatRun.created_at, ChatRun.id)
        )
        return list(self.session.scalars(stmt))

    def ids_of_conversation(self, conversation_id: uuid.UUID) -> list[uuid.UUID]:
        stmt = (
            select(ChatRun.id)
            .where(ChatRun.conversation_id == conversation_id)
            .order_by(ChatRun.created_at, ChatRun.id)
        )
        return list(self.session.scalars(stmt))

    def update_run(self, run_id: uuid.UUID, **values: Any) -> None:
        self.session.execute(update(ChatRun).where(ChatRun.id == run_id).values(**values))
