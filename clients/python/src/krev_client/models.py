"""Typed models of what the API takes and answers, one per schema of its OpenAPI document
(``GET /api/v1/openapi.json``). ``tests/client/test_models.py`` holds each against its schema
(the same fields, the same required ones, the same types), so they cannot drift apart.

Answers ignore fields they do not know, so a newer server does not break an older client;
their values the API may grow (a status, a kind) are plain strings. Requests refuse unknown
fields, so a misspelt one fails here rather than as the server's 400; the values the server
accepts from a fixed set are ``Literal`` types. Identifiers are strings (UUIDs), and times
are the API's ISO 8601 strings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdCapabilities",
    "AdCopy",
    "AdRequest",
    "AdResult",
    "AdStyle",
    "AnalysisCapabilities",
    "Capabilities",
    "ChatCapabilities",
    "ChatQueued",
    "ChatRequest",
    "Conversation",
    "ConversionBatch",
    "ConversionEvent",
    "ConversionEventRecord",
    "ConversionsAccepted",
    "CreditUsage",
    "Credits",
    "CreditsBalance",
    "DeletedGeneration",
    "DeletedProduct",
    "Engine",
    "Generation",
    "GenerationOutput",
    "ImageCapabilities",
    "ImageRequest",
    "ImageResult",
    "JobAccepted",
    "JobRef",
    "LedgerEntry",
    "Media",
    "Message",
    "Preset",
    "Prices",
    "Product",
    "ProductAccepted",
    "ProductMetadata",
    "ProductMetadataPatch",
    "ProductPatch",
    "ProductUpload",
    "Run",
    "StorageUsage",
    "Taxonomy",
    "TaxonomyCategory",
    "TaxonomyType",
    "UsageByKind",
    "UsageDay",
    "VideoCapabilities",
    "VideoRequest",
    "VideoResult",
]

JobStatus = Literal["queued", "processing", "succeeded", "failed", "cancelled"]
"""A job's status: ``queued → processing → succeeded | failed | cancelled``."""
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

ImageAspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
AdAspectRatio = Literal["1:1", "4:5", "9:16"]
ImageCount = Literal[1, 2, 4]
AdStyleId = Literal[
    "performance", "minimal_luxe", "bold_offer", "social_proof", "benefit_stack", "comparison"
]
AudioMode = Literal["auto", "off", "native"]
Agent = Literal["auto", "asset", "discover"]


class ResponseModel(BaseModel):
    """An answer's model: fields a newer server adds are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class RequestModel(BaseModel):
    """A request's model: unknown fields are refused here, as the server would."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- jobs ------------------------------------------------------------------------------------


class GenerationOutput(ResponseModel):
    """A finished job's output: ``urls`` (signed, expiring), and what its kind adds
    (``poster_url`` and ``duration`` for a video, ``ad_copies`` for ads, ``scene``…), read as
    attributes or from ``model_extra``."""

    model_config = ConfigDict(extra="allow")

    urls: list[str]


class Generation(ResponseModel):
    """A job, as ``GET /api/v1/generations/{id}`` shows it."""

    id: str
    kind: str
    status: str
    progress: int
    output: GenerationOutput | None
    error: str | None
    error_code: str | None = None
    credits_used: int
    queue_position: int | None = None
    created_at: str
    started_at: str | None = None
    completed_at: str | None
    source: str
    api_key_id: str | None
    prompt: str | None = None
    """What the job was asked for: an image's or a video's prompt, an ad's brief."""

    @property
    def done(self) -> bool:
        """Whether the job has ended (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES


class JobAccepted(ResponseModel):
    """A 202: the job is accepted and runs on; poll ``poll_url`` (or ``generations.wait``)."""

    generation_id: str
    status: str
    poll_url: str


class DeletedGeneration(ResponseModel):
    id: str
    deleted: bool = True
    freed_bytes: int


# --- images, videos, ads ---------------------------------------------------------------------


class ImageRequest(RequestModel):
    """The body of ``POST /api/v1/images``."""

    prompt: str
    aspect_ratio: ImageAspectRatio = "1:1"
    product_id: str | None = None
    product_ids: list[str] | None = None
    preset_id: str | None = None
    hd: bool = False
    image_count: ImageCount = 1
    reference_images: list[str] | None = None


class ImageResult(ResponseModel):
    """A finished ``POST /api/v1/images``: signed WebP URLs."""

    generation_id: str
    images: list[str]
    image_count: int
    credits_used: int


class Preset(ResponseModel):
    id: str
    description: str
    thumbnail_url: str


class VideoRequest(RequestModel):
    """The body of ``POST /api/v1/videos``."""

    prompt: str
    aspect_ratio: ImageAspectRatio = "16:9"
    duration: int = 5
    audio_mode: AudioMode = "auto"
    product_id: str | None = None
    source_image: str | None = None
    preset_id: str | None = None


class VideoResult(ResponseModel):
    """A finished ``POST /api/v1/videos``: a signed MP4 URL."""

    generation_id: str
    video_url: str
    duration: int
    credits_used: int


class AdRequest(RequestModel):
    """The body of ``POST /api/v1/ads``."""

    brief: str
    product_ids: list[str]
    aspect_ratio: AdAspectRatio = "4:5"
    image_count: ImageCount = 1
    style_id: AdStyleId | None = None
    inspiration_image: str | None = None
    brand_context: str | None = None


class AdCopy(ResponseModel):
    style_name: str
    hook: str
    headline: str
    body_copy: str
    cta: str


class AdResult(ResponseModel):
    """A finished ``POST /api/v1/ads``: the images, the first one's copy and each one's."""

    generation_id: str
    images: list[str]
    image_count: int
    credits_used: int
    ad_copy: AdCopy
    ad_copies: list[AdCopy]


class AdStyle(ResponseModel):
    id: str
    name: str
    description: str
    thumbnail_url: str


# --- products --------------------------------------------------------------------------------


class ProductMetadata(ResponseModel):
    brand_name: str | None = Field(default=None, alias="brandName")
    product_name: str | None = Field(default=None, alias="productName")
    product_type: str | None = Field(default=None, alias="productType")
    colors: list[str] = Field(default_factory=list)
    color: str | None = None
    color_hex: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)


class Product(ResponseModel):
    """A catalog product; ``status`` is ``analyzing``, ``ready`` or ``failed``."""

    id: str
    name: str | None
    image_url: str
    segmented_image_url: str | None
    category: str | None
    metadata: ProductMetadata
    source: str
    status: str
    error: str | None = None
    created_at: str


class ProductAccepted(Product):
    """A 202 to an upload: the product is stored and its analysis runs on (``poll_url``)."""

    generation_id: str
    poll_url: str


class ProductUpload(RequestModel):
    """The JSON body of ``POST /api/v1/products`` (an http(s) or ``data:`` URL)."""

    image_url: str
    name: str | None = None
    skip_segmentation: bool = False


class ProductMetadataPatch(RequestModel):
    """``metadata`` of ``PATCH /api/v1/products``: a key given replaces its value, ``None``
    clears it, a key left out is kept."""

    brand_name: str | None = Field(default=None, alias="brandName")
    product_name: str | None = Field(default=None, alias="productName")
    product_type: str | None = Field(default=None, alias="productType")
    colors: list[str] | None = None
    materials: list[str] | None = None


class ProductPatch(RequestModel):
    """The body of ``PATCH /api/v1/products?id=``: as ``ProductMetadataPatch``, a key given
    replaces, ``None`` clears, a key left out is kept."""

    name: str | None = None
    category: str | None = None
    metadata: ProductMetadataPatch | None = None


class DeletedProduct(ResponseModel):
    id: str
    deleted: bool = True


class TaxonomyCategory(ResponseModel):
    name: str
    types: list[str]


class TaxonomyType(ResponseModel):
    name: str
    category: str | None


class Taxonomy(ResponseModel):
    """The values a product's ``category`` and metadata may take."""

    categories: list[TaxonomyCategory]
    product_types: list[TaxonomyType]
    materials: list[str]
    colors: list[str]
    css_colors: list[str]


# --- chat ------------------------------------------------------------------------------------


class ChatRequest(RequestModel):
    """The body of ``POST /api/v1/chat``."""

    message: str
    conversation_id: str | None = None
    product_ids: list[str] | None = None
    reference_images: list[str] | None = None
    agent: Agent = "auto"
    max_credits: int | None = None


class ChatQueued(ResponseModel):
    """The 202 to ``POST /api/v1/chat``: the run is queued; poll ``poll_url``
    (``chat.runs.wait``)."""

    conversation_id: str
    user_message_id: str
    assistant_message_id: str
    run_id: str
    job_id: str
    status: str
    poll_url: str


class Message(ResponseModel):
    id: str
    role: str
    content: str
    created_at: str


class JobRef(ResponseModel):
    id: str
    status: str


class Media(ResponseModel):
    generation_id: str
    kind: str
    url: str


class Run(ResponseModel):
    """A chat run, as ``GET /api/v1/chat/runs/{id}`` shows it (see docs/chat.md)."""

    run_id: str
    conversation_id: str
    status: str
    progress: int
    agent: str
    agent_used: str | None
    job: JobRef
    assistant_text: str | None
    messages: list[Message]
    artifacts: list[dict[str, Any]]
    generation_ids: list[str]
    generations: list[dict[str, Any]]
    media: list[Media]
    credits_used: int
    error: str | None
    created_at: str
    completed_at: str | None

    @property
    def done(self) -> bool:
        """Whether the run has ended (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES


class Conversation(ResponseModel):
    """A conversation; ``messages`` and ``runs`` are given when it is read by id."""

    id: str
    title: str
    created_at: str
    updated_at: str
    messages: list[Message] | None = None
    runs: list[str] | None = None


# --- credits ---------------------------------------------------------------------------------


class CreditsBalance(ResponseModel):
    current: int
    limit: int
    current_formatted: str
    limit_formatted: str


class StorageUsage(ResponseModel):
    used_bytes: int
    limit_bytes: int
    used_formatted: str
    limit_formatted: str


class Credits(ResponseModel):
    """``GET /api/v1/credits``: the plan, its credits and its storage."""

    plan: str
    plan_name: str
    credits: CreditsBalance
    storage: StorageUsage
    resets_at: str


class LedgerEntry(ResponseModel):
    """One move of credits (``GET /api/v1/credits/history``)."""

    id: int
    kind: str
    delta: int
    balance_after: int
    generation_id: str | None
    generation_kind: str | None
    note: str | None
    created_at: str
    source: str
    api_key_id: str | None


class UsageByKind(ResponseModel):
    """Credits used, by the kind of media they made."""

    images: int
    videos: int
    ads: int
    total: int


class UsageDay(UsageByKind):
    """One UTC day (``date``, YYYY-MM-DD): the credits the jobs accepted that day used, net of
    their refunds, and the part chat runs used."""

    date: str
    via_chat: UsageByKind


class CreditUsage(ResponseModel):
    """``GET /api/v1/credits/usage``: credits used per UTC day from ``start`` to ``end``
    (today), every day listed oldest first, with the totals."""

    days: int
    start: str
    end: str
    total: UsageByKind
    via_chat: UsageByKind
    daily: list[UsageDay]


# --- Meta conversions ------------------------------------------------------------------------


class ConversionEvent(RequestModel):
    """One server event for Meta's Conversions API, in Meta's own shape. Customer
    information (``user_data``) may be sent raw: the server normalises and hashes it as Meta
    asks. Other fields Meta defines may be added."""

    model_config = ConfigDict(extra="allow")

    event_name: str
    event_time: int
    action_source: str
    user_data: dict[str, Any]
    event_id: str | None = None
    event_source_url: str | None = None
    custom_data: dict[str, Any] | None = None
    test_event_code: str | None = None


class ConversionBatch(RequestModel):
    """Meta's batch: ``{"data": [event, …]}`` of 1 to 1000 events."""

    data: list[ConversionEvent]
    test_event_code: str | None = None


class ConversionsAccepted(ResponseModel):
    """``status`` is ``sent`` (Meta took them) or ``queued`` (they will be retried)."""

    success: bool = True
    status: str
    events_received: int


class ConversionEventRecord(ResponseModel):
    """A delivered (or still queued) event, as ``GET /api/v1/conversions/meta/events`` lists."""

    id: str
    event_name: str
    event_id: str | None
    event_time: int | None
    event_time_iso: str | None
    action_source: str | None
    test_event_code: str | None
    status: str
    attempts: int
    error: str | None
    fbtrace_id: str | None
    created_at: str
    completed_at: str | None


# --- capabilities ----------------------------------------------------------------------------


class Engine(ResponseModel):
    id: str
    configured: bool
    description: str


class ImageCapabilities(ResponseModel):
    engine: str
    fallback: str | None
    text_only_subjects: bool
    product_scenes: bool
    reference_images: bool
    upscale_engine: str
    engines: list[Engine]
    note: str


class AnalysisCapabilities(ResponseModel):
    engine: str
    fallback: str | None
    segment_engine: str


class AdCapabilities(ResponseModel):
    image_engine: str
    copy_engine: str
    copy_fallback: str
    copy_engines: list[Engine]
    styles: list[str]
    aspect_ratios: list[str]


class VideoCapabilities(ResponseModel):
    engine: str
    fallback: str | None
    text_only_subjects: bool
    workflows: list[str]
    durations: list[int]
    aspect_ratios: list[str]
    audio_modes: list[str]
    native_audio: bool
    speech_engine: str
    speech_available: bool
    engines: list[Engine]


class ChatCapabilities(ResponseModel):
    engine: str
    fallback: str | None
    agents: list[str]
    tools: list[str]
    run_credit_budget: int
    ad_library: bool
    engines: list[Engine]


class Prices(ResponseModel):
    """Credits a job costs on this server."""

    image: int
    image_hd: int
    video_per_second: int
    ad_image: int


class Capabilities(ResponseModel):
    """Which engines this server runs and what its jobs cost (``GET /api/v1/capabilities``)."""

    image: ImageCapabilities
    product_analysis: AnalysisCapabilities
    ad: AdCapabilities
    video: VideoCapabilities
    chat: ChatCapabilities
    prices: Prices
