"""ORM tables, one module per aggregate. Importing this package registers them all."""

from krev.models.api_key import ApiKey
from krev.models.base import Base
from krev.models.cause import Cause
from krev.models.chat import ChatMessage, ChatRun, Conversation
from krev.models.conversion import ConversionEvent, MetaPixelConfig
from krev.models.generation import Generation, GenerationEvent, GenerationProduct
from krev.models.idempotency import IdempotencyRecord
from krev.models.ledger import LedgerEntry
from krev.models.product import Product, ProductCorrection
from krev.models.session import DashboardSession
from krev.models.storage_object import StorageObject
from krev.models.user import AccountSnapshot, User
from krev.platform.changes import CacheTag

# What API processes keep in memory (krev.platform.readcache) is named by these tags; a write to any
# row they name drops it, in every process (krev.platform.changes reads the writes off the ORM).
USER_TAG = CacheTag("user", User.id, ApiKey.user_id)
"""A user's account and everything read through it (their keys' owners)."""
GENERATION_TAG = CacheTag("generation", Generation.id)
CHAT_RUN_TAG = CacheTag("chat-run", ChatRun.id)
CHAT_MESSAGE_TAG = CacheTag("chat-message", ChatMessage.id)

__all__ = [
    "CHAT_MESSAGE_TAG",
    "CHAT_RUN_TAG",
    "GENERATION_TAG",
    "USER_TAG",
    "AccountSnapshot",
    "ApiKey",
    "Base",
    "Cause",
    "ChatMessage",
    "ChatRun",
    "Conversation",
    "ConversionEvent",
    "DashboardSession",
    "Generation",
    "GenerationEvent",
    "GenerationProduct",
    "IdempotencyRecord",
    "LedgerEntry",
    "MetaPixelConfig",
    "Product",
    "ProductCorrection",
    "StorageObject",
    "User",
]
