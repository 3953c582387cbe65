"""Python client for the Krev API v1.

    from krev_client import Krev

    client = Krev()  # KREV_API_KEY; KREV_BASE_URL or http://127.0.0.1:8000
    product = client.products.upload("photo.jpg")
    result = client.images.generate("on dark marble", product_id=product.id)
    print(result.images)

``AsyncKrev`` is the same client for asyncio. Models are in ``krev_client.models``, errors in
``krev_client.errors`` (both also here); see the README for waiting, retries and errors.
"""

from krev_client._client import AsyncKrev, Krev
from krev_client._core import NOT_GIVEN, NotGiven
from krev_client._retry import Retries
from krev_client._version import API_VERSION, __version__
from krev_client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GenerationCancelled,
    GenerationFailed,
    InsufficientCreditsError,
    InternalServerError,
    KrevError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    RateLimitError,
    RunCancelled,
    RunFailed,
    ServerError,
    ServiceUnavailableError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    WaitTimeout,
)
from krev_client.models import (
    AdResult,
    AdStyle,
    Capabilities,
    ChatQueued,
    Conversation,
    ConversionEvent,
    ConversionEventRecord,
    ConversionsAccepted,
    Credits,
    CreditUsage,
    DeletedGeneration,
    DeletedProduct,
    Generation,
    ImageResult,
    JobAccepted,
    LedgerEntry,
    Preset,
    Product,
    ProductAccepted,
    Run,
    Taxonomy,
    VideoResult,
)

__all__ = [
    "API_VERSION",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdResult",
    "AdStyle",
    "AsyncKrev",
    "AuthenticationError",
    "BadRequestError",
    "Capabilities",
    "ChatQueued",
    "ConflictError",
    "Conversation",
    "ConversionEvent",
    "ConversionEventRecord",
    "ConversionsAccepted",
    "CreditUsage",
    "Credits",
    "DeletedGeneration",
    "DeletedProduct",
    "Generation",
    "GenerationCancelled",
    "GenerationFailed",
    "ImageResult",
    "InsufficientCreditsError",
    "InternalServerError",
    "JobAccepted",
    "Krev",
    "KrevError",
    "LedgerEntry",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotGiven",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Preset",
    "Product",
    "ProductAccepted",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "Retries",
    "Run",
    "RunCancelled",
    "RunFailed",
    "ServerError",
    "ServiceUnavailableError",
    "Taxonomy",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "VideoResult",
    "WaitTimeout",
    "__version__",
]
