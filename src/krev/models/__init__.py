"""ORM tables, one module per aggregate. Importing this package registers them all."""

from krev.models.api_key import ApiKey
from krev.models.base import Base
from krev.models.conversion import ConversionEvent, MetaPixelConfig
from krev.models.generation import Generation
from krev.models.idempotency import IdempotencyRecord
from krev.models.ledger import LedgerEntry
from krev.models.product import Product
from krev.models.session import DashboardSession
from krev.models.storage_object import StorageObject
from krev.models.user import User

__all__ = [
    "ApiKey",
    "Base",
    "ConversionEvent",
    "DashboardSession",
    "Generation",
    "IdempotencyRecord",
    "LedgerEntry",
    "MetaPixelConfig",
    "Product",
    "StorageObject",
    "User",
]
