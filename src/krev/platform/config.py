"""Settings for every Krev process, read from the environment with the ``KREV_`` prefix.

One class, every field described; secrets are required outside development.
"""

from __future__ import annotations

import functools
import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from limits import parse as parse_rate_limit
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from krev.platform.client_address import IPNetwork, parse_networks
from krev.platform.fetch import parse_allowlist_entry
from krev.platform.private_files import private_dir, write_private_file_once


class Plan(BaseModel):
    """A subscription plan: what a user gets each month."""

    name: str = Field(description="Display name, e.g. 'Pro'.")
    monthly_credits: int = Field(ge=0, description="Credits granted at each monthly reset.")
    storage_bytes: int = Field(ge=0, description="Bytes of stored outputs and products allowed.")
    rate_limit: str = Field(
        description="Requests allowed per user, in the `limits` notation, e.g. '120/minute'."
    )
    max_active_jobs: int = Field(
        default=20,
        ge=1,
        description="Generations one user may have queued or running at once; one more is "
        "refused with 429 too_many_jobs (a video queue cannot hold the workers for everyone).",
    )


DEFAULT_PLANS: dict[str, Plan] = {
    "free": Plan(
        name="Free", monthly_credits=200, storage_bytes=500 * 1024**2, rate_limit="30/minute"
    ),
    "starter": Plan(
        name="Starter", monthly_credits=1000, storage_bytes=1024**3, rate_limit="60/minute"
    ),
    "pro": Plan(
        name="Pro", monthly_credits=2500, storage_bytes=2 * 1024**3, rate_limit="120/minute"
    ),
    "business": Plan(
        name="Business", monthly_credits=10000, storage_bytes=10 * 1024**3, rate_limit="300/minute"
    ),
}


class Prices(BaseModel):
    """Credit prices, as in the reference's credit cost table."""

    image: int = Field(default=40, ge=0, description="Standard image, per image.")
    image_hd: int = Field(default=80, ge=0, description="4K image (hd: true), per image.")
    video_per_second: int = Field(default=80, ge=0, description="Video, per second of duration.")
    ad_image: int = Field(default=40, ge=0, description="Ad image, per image.")


def _url_host(bind_address: str) -> str:
    """A bind address as the host of a URL. Listening on every interface (0.0.0.0, ::) is
    reachable from this machine at its loopback address; other machines need PUBLIC_BASE_URL."""
    try:
        address = ipaddress.ip_address(bind_address)
    except ValueError:  # a host name
        return bind_address or "127.0.0.1"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"[{address}]" if address.version == 6 else str(address)


class Settings(BaseSettings):
    """Configuration of the API and worker processes."""

    model_config = SettingsConfigDict(
        env_prefix="KREV_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=False,
        populate_by_name=True,
    )
    # Providers built from these settings (krev.providers.registry), one of each per process.
    _built_providers: dict[str, object] = PrivateAttr(default_factory=dict)

    env: Literal["development", "test", "production"] = Field(
        default="development",
        description="Deployment environment. Outside development every secret must be set.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Directory of the embedded defaults: SQLite database, queue, storage, secret.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Default: SQLite (WAL) at DATA_DIR/krev.db.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the task queue and rate limits. "
        "Default: Huey's SQLite queue in DATA_DIR and in-memory rate limits.",
    )
    storage_url: str | None = Field(
        default=None,
        description="Where outputs live: a directory path, or s3://bucket[/prefix]. "
        "Default: DATA_DIR/storage.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint for S3-compatible stores (MinIO, R2, moto)."
    )
    s3_region: str | None = Field(default=None, description="S3 region.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_access_key: str | None = Field(default=None, description="S3 secret access key.")
    public_base_url: str | None = Field(
        default=None,
        description="Base URL clients reach this API at; used for poll URLs and signed URLs. "
        "Default: http://HOST:PORT, where `.venv/bin/krev serve` listens (--host and --port "
        "included; 127.0.0.1 when HOST is 0.0.0.0).",
    )
    secret_key: str | None = Field(
        default=None,
        description="Server secret for API key hashing, CSRF tokens and signed storage URLs. "
        "Required outside development; in development one is generated into DATA_DIR.",
    )
    host: str = Field(default="127.0.0.1", description="Address `.venv/bin/krev serve` binds.")
    port: int = Field(default=8000, description="Port `.venv/bin/krev serve` binds.")
    api_processes: int = Field(default=1, ge=1, description="Uvicorn worker processes for serve.")
    queue_name: str = Field(
        default="krev",
        description="Queue name; processes sharing one queue use the same name. It also names "
        "the deployment's rate-limit, fetch-slot and change-feed keys in Redis.",
    )
    embedded_workers: int = Field(
        default=2,
        ge=0,
        description="Job worker threads inside the API process "
        "(0 when running `.venv/bin/krev worker`).",
    )
    worker_threads: int = Field(
        default=2, ge=1, description="Threads of one `.venv/bin/krev worker`."
    )
    sync_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a job-creating POST waits for the job before answering 202.",
    )
    video_sync_wait_seconds: float = Field(
        default=120.0,
        ge=0,
        description="How long POST /api/v1/videos waits for the video before answering 202 "
        "(a render takes seconds to minutes; the hosted API answers 200).",
    )
    job_heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a running job proves its worker is alive."
    )
    job_stale_after_seconds: float = Field(
        default=60.0, gt=0, description="A processing job silent this long is taken as lost."
    )
    job_requeue_after_seconds: float = Field(
        default=60.0, gt=0, description="A job still queued this long is enqueued again."
    )
    job_max_attempts: int = Field(default=2, ge=1, description="Runs a job gets before failing.")
    job_deadline_seconds: float = Field(
        default=1800.0, gt=0, description="No job stays unfinished longer than this."
    )
    sweep_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often the janitor settles what a dying process left behind (lost or "
        "overdue jobs, lost deliveries, expired idempotency keys) and, with "
        "OUTPUT_RETENTION_DAYS, deletes old generations.",
    )
    output_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Delete finished generations (succeeded, failed, cancelled) this many days "
        "after they finished, as DELETE /api/v1/generations/{id} does: outputs removed, their "
        "storage un-counted, credit history kept. The janitor does it. Default: kept until "
        "deleted.",
    )
    max_body_bytes: int = Field(
        default=25 * 1024**2, gt=0, description="Largest request body accepted (413 beyond)."
    )
    max_image_bytes: int = Field(
        default=20 * 1024**2,
        gt=0,
        description="Largest product image accepted, in bytes (fetched, data: URL or upload).",
    )
    max_image_pixels: int = Field(
        default=40_000_000,
        gt=0,
        description="Most pixels (width x height) an accepted image may have; "
        "larger ones, decompression bombs included, are refused before decoding.",
    )
    image_working_side: int = Field(
        default=2048,
        ge=1024,
        le=8192,
        description="Long side, in pixels, of the working copy of an image that product "
        "analysis and background removal use, and so of a product's cutout; the stored "
        "original keeps the upload's full resolution. Larger costs memory (4 bytes a pixel).",
    )
    fetch_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Time budget for fetching a request's user-supplied image URLs, start to "
        "end: waiting for a fetch thread, DNS, connecting, every redirect and the whole body "
        "(a server that trickles bytes is cut off). A request's URLs share it.",
    )
    fetch_threads: int = Field(
        default=32,
        ge=1,
        description="Threads each API process fetches user-supplied URLs on. Fetches use "
        "these alone, so origins that answer slowly never hold the threads other requests need.",
    )
    fetch_max_per_user: int = Field(
        default=4,
        ge=1,
        description="Most user-supplied URLs one user may have being fetched at once: across "
        "all API processes when REDIS_URL is set, per process otherwise. A request that would "
        "go past it is refused with 429 fetch_concurrency and Retry-After; a request with more "
        "URLs than this fetches them this many at a time.",
    )
    fetch_allow_loopback: bool = Field(
        default=False,
        description="Let user-supplied URLs reach loopback addresses. For tests only; "
        "never in production.",
    )
    fetch_allowlist: list[str] = Field(
        default_factory=list,
        description="Hosts user-supplied URLs may reach even though they resolve to private or "
        "loopback addresses (JSON list). `host:port` (a name or IP address; `[v6]:port`) allows "
        "that port only, 80/443 being the port of a URL that names none; a bare `host` allows "
        "every port of it. For tests against local servers; keep empty in production.",
    )
    signed_url_ttl_seconds: int = Field(
        default=3600, gt=0, description="Lifetime of signed storage URLs."
    )
    session_ttl_seconds: int = Field(
        default=14 * 24 * 3600, gt=0, description="Lifetime of a dashboard login session."
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark session cookies Secure. Default: on when PUBLIC_BASE_URL is https.",
    )
    plans: dict[str, Plan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description="Plans by id (JSON). Each: name, monthly_credits, storage_bytes, rate_limit.",
    )
    default_plan: str = Field(default="free", description="Plan of newly created users.")
    bootstrap_admin_email: str = Field(
        default="admin@krev.local",
        description="Email of the admin account created on the first start of an empty database.",
    )
    bootstrap_plan: str = Field(default="pro", description="Plan of the bootstrap admin account.")
    prices: Prices = Field(default_factory=Prices, description="Credit prices (JSON).")
    password_hash_time_cost: int = Field(
        default=3, ge=1, description="argon2id iterations for dashboard passwords."
    )
    password_hash_memory_kib: int = Field(
        default=65536, ge=8, description="argon2id memory per password hash, in KiB."
    )
    login_rate_limit: str = Field(
        default="10/minute", description="Login attempts allowed per email and client address."
    )
    auth_failure_rate_limit: str = Field(
        default="30/minute",
        description="Failed authentications (a missing, malformed, unknown or revoked API key, "
        "an expired dashboard session) answered 401 per client address; past it they are "
        "answered 429 with Retry-After until the window frees. A valid key is served whatever "
        "its address's failures.",
    )
    poll_rate_limit: str | None = Field(
        default=None,
        description="Polls of a job's state (GET /api/v1/generations/{id}) allowed per user, in "
        "a window of their own so that waiting on a job never spends the budget of real calls. "
        "Default: ten times the plan's rate limit.",
    )
    dashboard_rate_limit: str = Field(
        default="600/minute",
        description="API calls a user's dashboard sessions may make (the pages' reads, uploads, "
        "polls of running jobs), in a window of their own: an open dashboard never spends the "
        "budget of the user's API keys.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of the load balancers and proxies in front of "
        'the API (JSON list, e.g. ["10.0.0.0/8"]). For a request from one of them, the client '
        "address (for per-address limits) is the right-most X-Forwarded-For entry that is not a "
        "trusted proxy; from any other peer X-Forwarded-For is ignored.",
    )
    read_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long an API process may keep an API key's owner or a started "
        "generation in memory. With Redis every change is announced and drops them at once, "
        "and this only bounds a change made outside Krev (SQL by hand); on SQLite each read "
        "checks the database's change counter first. 0 turns the cache off.",
    )
    idempotency_ttl_hours: float = Field(
        default=24.0,
        gt=0,
        description="How long the first response to a POST sent with an Idempotency-Key is "
        "kept and replayed to retries with the same key.",
    )
    idempotency_lock_seconds: float = Field(
        default=600.0,
        gt=0,
        description="After this long without an answer, a request holding an Idempotency-Key "
        "is presumed dead and a retry may run it again; keep it above the longest request "
        "(SYNC_WAIT_SECONDS plus fetching).",
    )
    analyze_engine: str = Field(
        default="studio",
        validation_alias=AliasChoices(
            "analyze_engine", "KREV_ANALYZE_ENGINE", "product_analyzer", "KREV_PRODUCT_ANALYZER"
        ),
        description="Who reads a product's brand, name, type and materials: `studio` (embedded "
        "OCR + taxonomy) or `openai` (a vision LLM behind an OpenAI-compatible API, "
        "LLM_BASE_URL). KREV_PRODUCT_ANALYZER is an older name for it.",
    )
    analyze_fallback: str | None = Field(
        default="studio",
        description="Analyzer that answers when ANALYZE_ENGINE fails (an LLM that is down, slow "
        "or talking nonsense); the product's analysis says so. Empty: none, the upload fails.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the OpenAI-compatible API, up to /v1 "
        "(e.g. https://api.openai.com/v1, http://localhost:11434/v1). Required for `openai`.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key sent as a Bearer token to LLM_BASE_URL. Never logged."
    )
    llm_vision_model: str = Field(
        default="gpt-4o-mini",
        validation_alias=AliasChoices(
            "llm_vision_model", "KREV_LLM_VISION_MODEL", "llm_model", "KREV_LLM_MODEL"
        ),
        description="Vision model the `openai` analyzer asks. KREV_LLM_MODEL is an older name "
        "for it.",
    )
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Time allowed for one LLM request."
    )
    llm_copy_model: str | None = Field(
        default=None,
        description="Chat model the `openai` copywriter asks for ad copy (e.g. gpt-4o-mini, or "
        "a model name a local server such as Ollama serves). Required for COPY_ENGINE=openai.",
    )
    copy_engine: str = Field(
        default="studio",
        description="Who writes ad copy (the hook, headline, body and CTA of POST "
        "/api/v1/ads): `studio` (the embedded copywriter: each style's templates filled from "
        "the brief, the brand notes and the products' metadata; no model, never a claim it "
        "was not given) or `openai` (a chat model behind an OpenAI-compatible API, "
        "LLM_BASE_URL and LLM_COPY_MODEL; its answer is checked against Meta's limits).",
    )
    copy_fallback: str | None = Field(
        default=None,
        description="Copywriter that writes when COPY_ENGINE fails (an LLM that is down, slow, "
        "or answers copy over Meta's limits or with figures nobody gave); the generation "
        "records the fallback. Empty: the embedded `studio` copywriter.",
    )
    chat_engine: str = Field(
        default="studio",
        description="Who plans chat runs (POST /api/v1/chat): `studio` (the embedded planner: "
        "the message parsed into a plan of tool calls, deterministic, no model) or `openai` (a "
        "tool-calling chat model behind an OpenAI-compatible API, LLM_BASE_URL and "
        "LLM_CHAT_MODEL; needs the `llm` extra).",
    )
    chat_fallback: str | None = Field(
        default="studio",
        description="Planner that takes over when CHAT_ENGINE fails before its first tool call "
        "(an LLM that is down or slow); the run says so. Empty: none, the run fails.",
    )
    llm_chat_model: str | None = Field(
        default=None,
        description="Tool-calling chat model the `openai` chat planner asks (e.g. gpt-4o-mini, "
        "or a model a local server such as Ollama, vLLM or llama.cpp serves). Required for "
        "CHAT_ENGINE=openai.",
    )
    chat_step_limit: int = Field(
        default=12,
        ge=1,
        le=50,
        description="Most model requests one LLM-planned chat run may make; it stops there and "
        "says so.",
    )
    chat_run_credit_budget: int = Field(
        default=2000,
        ge=0,
        description="Most credits one chat run may spend on media; a request's max_credits can "
        "only lower it. A run stops before a render that would exceed it, and says so.",
    )
    chat_poll_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="How often a chat run waiting on its renders looks at them again (no "
        "worker thread is held meanwhile), in case a wake-up was lost: the last of its renders "
        "to end wakes it at once.",
    )
    meta_ad_library_token: SecretStr | None = Field(
        default=None,
        description="Access token for Meta's Ad Library API (ads_archive), for the chat "
        "`discover` agent's research. Without one it researches the account's own products "
        "and past creative, and says so. Never logged.",
    )
    meta_ad_library_countries: str = Field(
        default="GB,IE,DE,FR",
        description="Countries (ISO codes, comma-separated) Ad Library searches cover unless "
        "the agent names others. Meta's Ad Library API returns ordinary commercial ads only "
        "for ads delivered in the EU or the UK; elsewhere only political and issue ads.",
    )
    video_engine: str = Field(
        default="studio",
        description="Who renders videos (POST /api/v1/videos): `studio` (the embedded engine: "
        "the product's cutout in a rendered set as layers, camera moves, copy and music, "
        "encoded on the CPU; no model), `diffusers` (a local Wan 2.x video model from "
        "VIDEO_MODEL_DIR, on a GPU; needs the `diffusers` extra), `fal` or `replicate` (hosted "
        "Seedance: FAL_T2V_MODEL and FAL_I2V_MODEL, REPLICATE_VIDEO_MODEL).",
    )
    video_fidelity_floor: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="With a video model (VIDEO_ENGINE diffusers, fal, replicate): the least "
        "fidelity of each product to its cutout on the clip's sampled frames, below which the "
        "video fails and is refunded. Empty: recorded as output.fidelity only, since video "
        "models re-draw every frame (the first frame is always held to "
        "IMAGE_FIDELITY_THRESHOLD).",
    )
    video_fallback: str | None = Field(
        default=None, description="Video engine that renders when VIDEO_ENGINE fails."
    )
    speech_engine: str = Field(
        default="system",
        description="Who speaks a video's voice-over: `system` (the installed flite or "
        "espeak-ng program, run as a separate process; without either, videos get captions "
        "and no voice, and the generation says so), `piper` (a local Piper ONNX voice, "
        "PIPER_VOICE_PATH) or `openai` (an OpenAI-compatible speech API, LLM_BASE_URL and "
        "LLM_SPEECH_MODEL).",
    )
    speech_fallback: str | None = Field(
        default=None,
        description="Speech engine that speaks when SPEECH_ENGINE fails (an API that is down, a "
        "voice that cannot be loaded). Empty: none; the video keeps its captions without a "
        "voice.",
    )
    speech_system_program: str | None = Field(
        default=None,
        description="The program the `system` speech engine runs: `flite` or `espeak-ng`. "
        "Empty: flite when installed (its `slt` voice sounds the least robotic), else espeak-ng.",
    )
    speech_system_voice: str | None = Field(
        default=None,
        description="The program's voice: a flite voice (`slt`, `awb`, `rms`, `kal16`, or a "
        ".flitevox file) or an espeak-ng voice (`en-us`, `en-gb`, `fr`, ...). Empty: `slt` for "
        "flite, `en-us` for espeak-ng.",
    )
    piper_voice_path: Path | None = Field(
        default=None,
        description="Local path of a Piper voice's .onnx model, with its .onnx.json config "
        "beside it (e.g. en_US-lessac-medium.onnx); never downloaded. Required for "
        "SPEECH_ENGINE=piper, which also needs the espeak-ng program to phonemize.",
    )
    piper_speaker: str | None = Field(
        default=None,
        description="The speaker of a Piper voice of several (an id or a name from its "
        "config's speaker_id_map). Empty: the first.",
    )
    llm_speech_model: str | None = Field(
        default=None,
        description="Speech model the `openai` speech engine asks at LLM_BASE_URL/audio/speech "
        "(e.g. gpt-4o-mini-tts, tts-1, or a local server's model). Required for "
        "SPEECH_ENGINE=openai.",
    )
    llm_speech_voice: str = Field(
        default="alloy",
        description="Voice the `openai` speech engine asks for (e.g. alloy, nova, or a local "
        "server's voice name).",
    )
    segment_engine: str = Field(
        default="classical",
        validation_alias=AliasChoices(
            "segment_engine", "KREV_SEGMENT_ENGINE", "segmenter", "KREV_SEGMENTER"
        ),
        description="Background removal: `classical` (OpenCV, no model) or `onnx` (a "
        "rembg/U2-Net-style saliency model from SEGMENTER_MODEL_PATH; never downloaded). "
        "KREV_SEGMENTER is an older name for it.",
    )
    segment_fallback: str | None = Field(
        default=None,
        description="Segmenter used when SEGMENT_ENGINE's model cannot be loaded.",
    )
    segmenter_model_path: Path | None = Field(
        default=None, description="Local path of the .onnx segmentation model. Required for `onnx`."
    )
    segmenter_input_size: int = Field(
        default=320,
        ge=16,
        le=2048,
        description="Square input side of the ONNX segmentation model (320 for u2net/u2netp).",
    )
    image_engine: str = Field(
        default="studio",
        description="Engine behind POST /api/v1/images: `studio` renders procedural sets on the "
        "CPU and composites the product's own cutout (no model weights; a text-only prompt "
        "must name a catalog product or no subject at all); `diffusers` (a local diffusion "
        "model, DIFFUSERS_MODEL_DIR), `openai` (an OpenAI-compatible Images API), `fal` and "
        "`replicate` (hosted FLUX) generate scenes and text-only subjects.",
    )
    image_fallback: str | None = Field(
        default=None,
        description="Image engine a job moves to when IMAGE_ENGINE keeps failing with a "
        "transient error (rate limited, unavailable, timed out). A job that falls back to "
        "`studio` with a subject it cannot render fails and is refunded.",
    )
    upscale_engine: str = Field(
        default="studio",
        description="Upscaler for hd: true: `studio` (resampling and sharpening) or "
        "`diffusers` (a model upscaler from UPSCALER_MODEL_DIR).",
    )
    upscale_fallback: str | None = Field(
        default=None, description="Upscaler used when UPSCALE_ENGINE's model cannot be loaded."
    )
    provider_retry_base_seconds: float = Field(
        default=2.0,
        gt=0,
        description="First wait before a provider call that failed transiently (429, 5xx, "
        "timeout) is retried, when the provider named none; doubles each retry, within the "
        "job's deadline.",
    )
    provider_max_retries: int = Field(
        default=5,
        ge=0,
        description="Retries of a provider call that keeps failing transiently before the job "
        "moves to the capability's fallback, or fails and is refunded.",
    )
    provider_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between two polls of a hosted provider's job, when the provider "
        "suggests none.",
    )
    image_fidelity_threshold: float = Field(
        default=0.6,
        ge=0,
        description="Least fidelity (0-1) of each product in a generated image to its catalog "
        "cutout; below it the generation fails and is refunded.",
    )
    image_render_threads: int = Field(
        default=2,
        ge=1,
        description="Threads one image generation renders its variants on.",
    )
    meta_graph_url: str = Field(
        default="https://graph.facebook.com",
        description="Base URL of Meta's Graph API, where conversion events are delivered.",
    )
    meta_graph_version: str = Field(
        default="v21.0", description="Graph API version in the events URL, e.g. v21.0."
    )
    conversions_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long POST /conversions/meta tries to deliver to Meta before answering "
        "202 queued (the worker keeps trying).",
    )
    conversions_delivery_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time allowed for one worker request to the Graph API."
    )
    conversions_retry_base_seconds: float = Field(
        default=2.0, gt=0, description="First retry delay of a failed delivery; doubles each try."
    )
    conversions_retry_max_seconds: float = Field(
        default=600.0, gt=0, description="Longest delay between two delivery attempts."
    )
    conversions_give_up_seconds: float = Field(
        default=86400.0,
        gt=0,
        le=6 * 86400,
        description="Deliveries still failing this long after the events arrived are recorded "
        "as failed (Meta refuses events older than 7 days).",
    )
    openai_images_base_url: str | None = Field(
        default=None,
        description="Base URL of the OpenAI-compatible Images API behind IMAGE_ENGINE=`openai`, "
        "up to /v1 (e.g. https://api.openai.com/v1). Required for `openai`.",
    )
    openai_images_api_key: SecretStr | None = Field(
        default=None,
        description="API key sent as a Bearer token to OPENAI_IMAGES_BASE_URL. Never logged.",
    )
    openai_images_model: str = Field(
        default="gpt-image-1", description="Image model the `openai` image engine asks."
    )
    openai_images_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Time allowed for one Images API request (a gpt-image edit can take a "
        "minute); past it the call is retried like any transient failure.",
    )
    openai_images_max_n: int = Field(
        default=1,
        ge=1,
        le=10,
        description="Images one Images API call may ask for (n); more are asked for with "
        "several calls. DALL-E 3 takes 1.",
    )
    fal_base_url: str = Field(
        default="https://queue.fal.run",
        description="fal's queue API, where `fal` submits, polls and cancels image requests.",
    )
    fal_api_key: SecretStr | None = Field(
        default=None,
        description="fal API key, sent as `Authorization: Key …`. Required for `fal`. Never "
        "logged.",
    )
    fal_t2i_model: str = Field(
        default="fal-ai/flux/dev",
        description="fal model for text-only prompts (FLUX.1 [dev] text-to-image; any model "
        "with its input schema works).",
    )
    fal_fill_model: str = Field(
        default="fal-ai/flux-lora-fill",
        description="fal model for product scenes: FLUX.1 Fill [dev], painting around the "
        "products (image_url + mask_url, white where it paints).",
    )
    fal_extra_input: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra inputs (JSON object) sent with every fal request, e.g. "
        '`{"num_inference_steps": 28}`; prompt, size, count, seed and images are Krev\'s.',
    )
    fal_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time allowed for one request to fal's queue API."
    )
    fal_t2v_model: str = Field(
        default="fal-ai/bytedance/seedance/v1/pro/text-to-video",
        description="fal model for videos from a prompt alone (VIDEO_ENGINE=`fal`; Seedance 1.0 "
        "text-to-video, or any model with its input schema). Empty: `fal` makes no video "
        "without a first frame.",
    )
    fal_i2v_model: str = Field(
        default="fal-ai/bytedance/seedance/v1/pro/image-to-video",
        description="fal model that animates a first frame (Seedance 1.0 image-to-video; the "
        "frame goes as a JPEG data URI in image_url). Empty: `fal` animates no image.",
    )
    fal_video_durations: list[int] = Field(
        default_factory=lambda: list(range(2, 13)),
        description="The whole seconds the fal video models render (Seedance 1.0: 2 to 12; "
        "older deployments: [5, 10]). Another duration is rendered at the nearest longer one "
        "and cut, or at the longest and held on its last frame.",
    )
    fal_video_resolution: Literal["480p", "720p", "1080p"] = Field(
        default="1080p",
        description="The highest resolution a fal video is rendered at; below it, the lowest "
        "that covers the output's short side (a 1080p clip costs about twice a 720p one).",
    )
    replicate_base_url: str = Field(
        default="https://api.replicate.com/v1",
        description="Replicate's API, up to /v1, where `replicate` creates, polls and cancels "
        "predictions.",
    )
    replicate_api_token: SecretStr | None = Field(
        default=None,
        description="Replicate API token, sent as a Bearer token. Required for `replicate`. "
        "Never logged.",
    )
    replicate_t2i_model: str = Field(
        default="black-forest-labs/flux-dev",
        description="Replicate model for text-only prompts (owner/name, or owner/name:version).",
    )
    replicate_fill_model: str = Field(
        default="black-forest-labs/flux-fill-dev",
        description="Replicate model for product scenes (FLUX.1 Fill [dev]: image + mask, "
        "white where it paints).",
    )
    replicate_extra_input: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra inputs (JSON object) sent with every Replicate prediction, e.g. "
        '`{"go_fast": false}`; prompt, size, count, seed and images are Krev\'s.',
    )
    replicate_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time allowed for one request to Replicate's API."
    )
    replicate_wait_seconds: int = Field(
        default=0,
        ge=0,
        le=60,
        description="Seconds Replicate may hold a new prediction's request (`Prefer: wait`) so "
        "a quick one comes back finished; 0 answers at once. The worker thread waits that "
        "long.",
    )
    replicate_video_model: str = Field(
        default="bytedance/seedance-1-pro",
        description="Replicate model for videos (VIDEO_ENGINE=`replicate`; owner/name, or "
        "owner/name:version): Seedance 1.0 Pro renders from a prompt alone and from a first "
        "frame (a JPEG data URI in `image`).",
    )
    replicate_video_durations: list[int] = Field(
        default_factory=lambda: list(range(2, 13)),
        description="The whole seconds REPLICATE_VIDEO_MODEL renders (Seedance 1.0: 2 to 12). "
        "Another duration is rendered at the nearest longer one and cut, or at the longest "
        "and held on its last frame.",
    )
    replicate_video_resolution: Literal["480p", "720p", "1080p"] = Field(
        default="1080p",
        description="The highest resolution a Replicate video is rendered at; below it, the "
        "lowest that covers the output's short side.",
    )
    diffusers_model_dir: Path | None = Field(
        default=None,
        description="Local diffusers model directory (with its model_index.json) for "
        "IMAGE_ENGINE=`diffusers`, loaded once per worker process and never downloaded. An "
        "inpaint or fill model (FLUX.1 Fill, SDXL or SD inpainting) serves text-only prompts "
        "and product scenes; a text-to-image model serves product scenes through its "
        "inpainting variant (SD, SDXL, SD3, FLUX.1), or text-only prompts alone. Needs the "
        "`diffusers` extra.",
    )
    diffusers_device: str = Field(
        default="auto",
        description="Torch device of the diffusion models (images, upscaler, video): `auto` "
        "(cuda when a GPU answers, then mps, then the CPU), or one such as `cuda:1` or `cpu`.",
    )
    diffusers_dtype: Literal["auto", "float16", "bfloat16", "float32"] = Field(
        default="auto",
        description="Weights' precision: `auto` is bfloat16 on GPUs that have it, else "
        "float16, and float32 on the CPU.",
    )
    diffusers_steps: int = Field(
        default=28, ge=1, le=200, description="Denoising steps of one diffusion image."
    )
    diffusers_guidance_scale: float | None = Field(
        default=None,
        ge=0,
        description="Classifier-free guidance scale; unset: the pipeline's own default (7.5 "
        "for Stable Diffusion, 30 for FLUX.1 Fill).",
    )
    diffusers_max_side: int = Field(
        default=1024,
        ge=64,
        le=4096,
        description="Longest side the diffusion model draws; larger outputs are drawn at this "
        "size and resized (HD goes through UPSCALE_ENGINE).",
    )
    video_model_dir: Path | None = Field(
        default=None,
        description="Local Wan 2.x video model directory for VIDEO_ENGINE=`diffusers`, loaded "
        "once per worker process and never downloaded: a WanPipeline (text-to-video; Wan 2.2 "
        "TI2V-5B also animates images) or a WanImageToVideoPipeline saved with save_pretrained, "
        "or a WanPipeline in `t2v/` and a WanImageToVideoPipeline in `i2v/`. Runs on "
        "DIFFUSERS_DEVICE in DIFFUSERS_DTYPE; needs the `diffusers` extra.",
    )
    video_model_steps: int = Field(
        default=50, ge=1, le=200, description="Denoising steps of one video model clip."
    )
    video_model_guidance_scale: float | None = Field(
        default=None,
        ge=0,
        description="Classifier-free guidance scale of the video model; unset: the pipeline's "
        "own default (5.0 for Wan).",
    )
    video_model_max_side: int = Field(
        default=832,
        ge=64,
        le=4096,
        description="Longest side the video model draws (832: Wan's 480p; 1280 for 720p "
        "models), at the video's aspect ratio; the video pipeline scales the clip to the "
        "video's size.",
    )
    video_model_fps: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="Frame rate the video model draws at; unset: the model's own (16 fps for "
        "Wan 2.1 and Wan 2.2 A14B, 24 for Wan 2.2 TI2V-5B). The video pipeline converts it "
        "to 24 fps.",
    )
    video_model_max_frames: int | None = Field(
        default=None,
        ge=5,
        le=1025,
        description="Most frames of one video model clip (rounded down to 4k+1, as Wan "
        "takes them); unset: 5 seconds at the model's rate (81 frames at 16 fps), Wan's own "
        "length. A longer video holds the clip's last frame.",
    )
    upscaler_model_dir: Path | None = Field(
        default=None,
        description="Local diffusers upscaler directory (the x4 or the x2 latent upscaler) for "
        "UPSCALE_ENGINE=`diffusers`; never downloaded.",
    )
    upscaler_steps: int = Field(
        default=20, ge=1, le=200, description="Denoising steps of one model upscale."
    )
    pipeline_modules: list[str] = Field(
        default_factory=list,
        description="Extra modules to import that register job pipelines (plugins, tests).",
    )
    log_level: str = Field(default="INFO", description="Log level.")
    log_format: Literal["json", "console"] = Field(
        default="console", description="Structured logs as JSON lines or for humans."
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")

    @field_validator("fetch_allowlist")
    @classmethod
    def _allowlist_entries_parse(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            parse_allowlist_entry(entry)  # ValueError names the entry
        return entries

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.env != "development" and not self.secret_key:
            raise ValueError("KREV_SECRET_KEY is required outside development")
        for plan_id in (self.default_plan, self.bootstrap_plan):
            if plan_id not in self.plans:
                raise ValueError(f"plan {plan_id!r} is not defined in KREV_PLANS")
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise ValueError("KREV_LLM_BASE_URL must be an http:// or https:// URL")
        if self.openai_images_base_url and not self.openai_images_base_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("KREV_OPENAI_IMAGES_BASE_URL must be an http:// or https:// URL")
        rules = (
            self.login_rate_limit,
            self.auth_failure_rate_limit,
            self.poll_rate_limit,
            self.dashboard_rate_limit,
        )
        for rule in (*rules, *(plan.rate_limit for plan in self.plans.values())):
            if rule is None:
                continue
            try:
                parse_rate_limit(rule)
            except ValueError:
                raise ValueError(f"{rule!r} is not a rate limit such as '30/minute'") from None
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as error:
            raise ValueError(f"KREV_TRUSTED_PROXIES: {error}") from None
        return self

    @property
    def built_providers(self) -> dict[str, object]:
        return self._built_providers

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'krev.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str((self.data_dir / "storage").resolve())

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash: PUBLIC_BASE_URL, else the address
        `krev serve` listens on."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{_url_host(self.host)}:{self.port}"

    @cached_property
    def secret(self) -> bytes:
        """The server secret; in development generated once and kept in DATA_DIR."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            private_dir(self.data_dir)
            # Created 0600 with its contents, never briefly world-readable, and the same
            # for every process that starts at once (`serve --processes`).
            write_private_file_once(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip().encode()

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    def plan(self, plan_id: str) -> Plan:
        return self.plans[plan_id]

    def poll_rate_limit_of(self, plan: Plan) -> str:
        """The rule for a plan's job polls: ``poll_rate_limit``, else ten times the plan's."""
        return self.poll_rate_limit or _poll_rule(plan.rate_limit)


@functools.lru_cache(maxsize=64)
def _poll_rule(plan_rule: str) -> str:
    item = parse_rate_limit(plan_rule)
    return f"{item.amount * 10} per {item.multiples} {item.GRANULARITY.name}"
