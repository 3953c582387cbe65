"""The client's resources, each in its sync and its async form: ``client.images`` is an
``ImagesResource`` on ``Krev`` and an ``AsyncImagesResource`` on ``AsyncKrev``."""

from krev_client.resources.ads import AdsResource, AsyncAdsResource
from krev_client.resources.chat import (
    AsyncChatResource,
    AsyncConversationsResource,
    AsyncRunsResource,
    ChatResource,
    ConversationsResource,
    RunsResource,
)
from krev_client.resources.conversions import (
    AsyncConversionsResource,
    AsyncMetaConversionsResource,
    ConversionsResource,
    MetaConversionsResource,
)
from krev_client.resources.credits import AsyncCreditsResource, CreditsResource
from krev_client.resources.generations import AsyncGenerationsResource, GenerationsResource
from krev_client.resources.images import (
    AsyncImagesResource,
    AsyncPresetsResource,
    ImagesResource,
    PresetsResource,
)
from krev_client.resources.products import AsyncProductsResource, ProductSource, ProductsResource
from krev_client.resources.videos import AsyncVideosResource, VideosResource

__all__ = [
    "AdsResource",
    "AsyncAdsResource",
    "AsyncChatResource",
    "AsyncConversationsResource",
    "AsyncConversionsResource",
    "AsyncCreditsResource",
    "AsyncGenerationsResource",
    "AsyncImagesResource",
    "AsyncMetaConversionsResource",
    "AsyncPresetsResource",
    "AsyncProductsResource",
    "AsyncRunsResource",
    "AsyncVideosResource",
    "ChatResource",
    "ConversationsResource",
    "ConversionsResource",
    "CreditsResource",
    "GenerationsResource",
    "ImagesResource",
    "MetaConversionsResource",
    "PresetsResource",
    "ProductSource",
    "ProductsResource",
    "RunsResource",
    "VideosResource",
]
