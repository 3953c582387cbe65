"""Catalog rules: take an image in (fetch, validate, store, count), create the product and its
analysis job, apply the analysis, view, list and delete. No HTTP types here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import webcolors
from anyio import to_thread
from sqlalchemy.orm import Session

from krev.catalog.jobs import AnalysisJob
from krev.catalog.repository import CorrectionRepository, ProductRepository
from krev.catalog.schemas import ProductPatch, ProductUpload
from krev.engines.base import ProductMetadata, auto_name
from krev.engines.studio import vocabulary
from krev.engines.studio.colors import MERCHANT_PALETTE, palette_hex, product_color_name
from krev.errors import (
    BadRequest,
    Conflict,
    GenerationFailed,
    KrevError,
    NotFound,
    StorageQuotaExceeded,
)
from krev.files.service import delete_objects, record_objects
from krev.generations import service as generations
from krev.kit.clock import isoformat
from krev.kit.pagination import Page, PageRequest
from krev.models import AccountSnapshot, Cause, Product, ProductCorrection
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.config import Settings
from krev.platform.db import after_rollback
from krev.platform.fetch import FetchError, InvalidDataUrl, decode_data_url
from krev.platform.fetchpool import FetchPool
from krev.platform.imaging import (
    DecodedImage,
    ImageFormat,
    OriginalImage,
    UnsupportedImageType,
    decode_image,
    encode_original,
)
from krev.platform.queue import TaskQueue
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage
from krev.providers import registry

ANALYSIS_KIND = "product_analysis"
WEBP = "image/webp"


class ProductAnalyzing(Conflict):
    code = "product_analyzing"


# --- intake ----------------------------------------------------------------------------


def is_data_url(url: str) -> bool:
    return url[:5].lower() == "data:"


# The media types a data: URL may declare, and the format its bytes must then be in. image/jpg
# is not a registered type, but clients build it from the file extension often enough.
_DATA_URL_TYPES: dict[str, ImageFormat] = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
}
_FORMAT_WORDS: dict[ImageFormat, str] = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP"}


def _data_url_image(settings: Settings, url: str) -> tuple[bytes, ImageFormat, str]:
    """The bytes of a base64 ``data:`` URL, the format its media type declares, and the type.

    The declared type must be one we accept (415 unsupported_image_type otherwise); callers
    check that it says what the bytes are (``_check_declared``).
    """
    content, media_type = decode_data_url(url, settings.max_image_bytes)
    declared = _DATA_URL_TYPES.get(media_type)
    if declared is None:
        raise UnsupportedImageType(
            f"The data URL declares {media_type}; JPG, PNG and WebP images are accepted "
            "(image/jpeg, image/png or image/webp)."
        )
    return content, declared, media_type


def _check_declared(actual: ImageFormat, declared: ImageFormat, media_type: str) -> None:
    # A URL that says text/plain, or a PNG labelled image/jpeg, is a client bug to be told
    # about, not guessed around.
    if actual != declared:
        raise InvalidDataUrl(
            f"The data URL declares {media_type} but holds a {_FORMAT_WORDS[actual]} "
            "image; declare the type the bytes are."
        )


def original_data_image(settings: Settings, url: str) -> OriginalImage:
    """``original_upload`` of the image in a ``data:`` URL (``image_url``), its declared type
    checked against the bytes."""
    content, declared, media_type = _data_url_image(settings, url)
    original = original_upload(settings, content)
    _check_declared(original.format, declared, media_type)
    return original


def decode_data_image(settings: Settings, url: str, *, working_side: int) -> DecodedImage:
    """``decode_upload`` of the image in a ``data:`` URL (``reference_images``), its declared
    type checked against the bytes."""
    content, declared, media_type = _data_url_image(settings, url)
    image = decode_upload(settings, content, working_side=working_side)
    _check_declared(image.format, declared, media_type)
    return image


async def fetch_image_urls(
    fetch_pool: FetchPool, user_id: uuid.UUID, urls: Sequence[str]
) -> list[bytes | FetchError]:
    """The bytes behind each http(s) URL, fetched safely on the fetch pool's own threads, or
    why not; 429 fetch_concurrency (nothing fetched) when the user has too many under way."""
    return await fetch_pool.fetch(user_id, urls)


async def fetch_image_url(fetch_pool: FetchPool, user_id: uuid.UUID, url: str) -> bytes:
    """``fetch_image_urls`` for one URL, its refusal raised."""
    (outcome,) = await fetch_image_urls(fetch_pool, user_id, [url])
    if isinstance(outcome, FetchError):
        raise outcome
    return outcome


def decode_upload(settings: Settings, data: bytes, *, working_side: int) -> DecodedImage:
    """Validate and decode to a working image whose long side is at most ``working_side``; the
    type is judged from the bytes, never a declared media type."""
    return decode_image(
        data,
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
        working_side=working_side,
    )


def original_upload(settings: Settings, data: bytes) -> OriginalImage:
    """Validate as ``decode_upload`` does and re-encode the whole image for storage: full
    resolution, JPEG or (with transparency) PNG, no metadata."""
    return encode_original(
        data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
    )


def original_key(user_id: uuid.UUID, product_id: uuid.UUID, extension: str) -> str:
    # Products stored before originals were JPEG or PNG have ``original.webp``; image_key
    # records each one's own.
    return f"users/{user_id}/products/{product_id}/original.{extension}"


def cutout_key(user_id: uuid.UUID, product_id: uuid.UUID) -> str:
    return f"users/{user_id}/products/{product_id}/cutout.webp"


def create_product(
    session: Session,
    settings: Settings,
    storage: Storage,
    queue: TaskQueue,
    *,
    user_id: uuid.UUID,
    plan: str,
    original: OriginalImage,
    name: str | None,
    skip_segmentation: bool,
    cause: Cause,
) -> Product:
    """Store the re-encoded original, count it, record the product and submit its analysis
    (caused by ``cause``, the uploader's key or session).

    The stored file is removed again unless the transaction commits (the quota refused, the
    commit failed): no file outlives its product row.
    """
    product_id = uuid.uuid4()
    key = original_key(user_id, product_id, original.extension)
    stored = storage.put(key, original.data, original.media_type)
    after_rollback(session, lambda: storage.delete(key))
    record_objects(session, user_id, [stored], settings.plan(plan).storage_bytes)
    generation = generations.submit(
        session,
        settings,
        queue,
        user_id=user_id,
        kind=ANALYSIS_KIND,
        params=AnalysisJob(
            product_id=str(product_id),
            skip_segmentation=skip_segmentation,
            analyze_engine=registry.engine_of(settings, "analyze"),
            segment_engine=registry.engine_of(settings, "segment"),
        ).as_params(),
        cost=0,
        cause=cause,
        product_ids=[product_id],
    )
    product = Product(
        id=product_id,
        user_id=user_id,
        name=name,
        name_source="user" if name else "auto",
        metadata_={},
        image_key=key,
        status="analyzing",
        source="api",
        generation_id=generation.id,
    )
    ProductRepository(session).add(product)
    return product


async def upload_product(
    session: Session,
    runtime: Runtime,
    account: AccountSnapshot,
    upload: ProductUpload,
    data: bytes | None,
    cause: Cause,
) -> Product:
    """Take a product image in (``data`` from a multipart file, else ``upload.image_url``),
    store it and submit its analysis in the request's transaction.

    The URL is fetched and the image decoded before the transaction is first used: on SQLite
    that first use takes the database's write lock, which a slow origin or a 40 MP decode must
    not hold.
    """
    settings = runtime.settings
    if data is None and not is_data_url(upload.image_url):
        data = await fetch_image_url(runtime.fetch_pool, account.id, upload.image_url)

    def intake() -> OriginalImage:
        if data is None:
            return original_data_image(settings, upload.image_url)
        return original_upload(settings, data)

    original = await to_thread.run_sync(intake)

    def create() -> Product:
        return create_product(
            session,
            settings,
            runtime.storage,
            runtime.queue,
            user_id=account.id,
            plan=account.plan,
            original=original,
            name=upload.name,
            skip_segmentation=upload.skip_segmentation,
            cause=cause,
        )

    return await to_thread.run_sync(create)


# --- the analysis result -----------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisResult:
    metadata: dict[str, Any]  # the reference's keys: brandName, productName, productType, …
    category: str | None
    auto_name: str


def _css_hex(name: str) -> str | None:
    try:
        return str(webcolors.name_to_hex(name.strip().lower()))
    except ValueError:
        return None


def color_fields(names: Sequence[str], measured: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The metadata's color keys: ``colors`` (palette names, most prominent first),
    ``color`` (the first, as in the reference's list example) and ``color_hex`` (each color's
    hex, in the same order: what engines read, never the names).

    A color's hex is the one measured on the product's pixels when given, else the palette's
    swatch (or the CSS value) for its name; a name with none is not a color and is left out."""
    kept: list[str] = []
    hexes: list[str] = []
    for name in dict.fromkeys(names):
        value = (measured or {}).get(name) or palette_hex(name) or _css_hex(name)
        if value is not None:
            kept.append(name)
            hexes.append(value)
    return {"colors": kept, "color": kept[0] if kept else None, "color_hex": hexes}


def apply_analysis(
    session: Session,
    settings: Settings,
    product_id: uuid.UUID,
    result: AnalysisResult,
    cutout: Any | None,
) -> bool:
    """Mark the product ready with its analysis and count its cutout (a ``StoredObject``).

    False when the product was deleted (or finished) meanwhile: the caller removes the cutout.
    Raises StorageQuotaExceeded when the cutout does not fit the plan.
    """
    repo = ProductRepository(session)
    product = repo.get(product_id)
    if product is None or product.status != "analyzing":
        return False
    values: dict[str, Any] = {
        "metadata_": result.metadata,
        "category": result.category,
        "status": "ready",
        "segmented_key": cutout.key if cutout is not None else None,
    }
    if product.name_source == "auto":
        values["name"] = result.auto_name
    if not repo.finish_analysis(product_id, **values):
        return False
    if cutout is not None:
        from krev.models import User

        user = session.get(User, product.user_id)
        assert user is not None
        record_objects(session, product.user_id, [cutout], settings.plan(user.plan).storage_bytes)
    return True


def fail_analysis(session: Session, product_id: uuid.UUID, message: str) -> None:
    ProductRepository(session).finish_analysis(product_id, status="failed", error=message)


# --- reading -------------------------------------------------------------------------------


def get_owned(session: Session, user_id: uuid.UUID, product_id: uuid.UUID) -> Product:
    product = ProductRepository(session).get_owned(product_id, user_id)
    if product is None:
        raise NotFound("Product not found.")
    return product


def list_owned(session: Session, user_id: uuid.UUID, page: PageRequest) -> Page[Product]:
    """A page of products, newest first."""
    return ProductRepository(session).page_for_user(user_id, page)


def ready_products_called(
    session: Session, user_id: uuid.UUID, fragments: Sequence[str] | None
) -> list[Product]:
    """The user's ready products (with a cutout) whose name, productName, brandName or
    productType contains one of ``fragments`` (lower case), newest first; all of them for
    None. What a prompt's subject is matched against (``krev.images.service``)."""
    return ProductRepository(session).ready_called(user_id, fragments)


def names_of(product: Product) -> list[str]:
    """What a product is called, for matching a prompt's words: its name, productName,
    brandName and productType, and its colors (which only tell equal matches apart)."""
    metadata = product.metadata_ or {}
    texts = [product.name, *(metadata.get(k) for k in ("productName", "brandName", "productType"))]
    colors = metadata.get("colors")
    if isinstance(colors, list):
        texts.extend(str(color) for color in colors)
    return [str(text) for text in texts if text]


def job_states(
    session: Session, products: list[Product]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Analysis job states of the products still analyzing (see ``view``)."""
    ids = [p.generation_id for p in products if p.status == "analyzing" and p.generation_id]
    return ProductRepository(session).job_states(ids)


def view(
    product: Product,
    storage: Storage,
    ttl: int,
    job_states: dict[uuid.UUID, tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    """The reference's product shape, plus ``status`` (and ``error`` when analysis failed).

    A product whose job ended without reaching it (lost past its deadline, cancelled) reads
    as failed with the job's reason."""
    status, error = product.status, product.error
    if status == "analyzing" and job_states and product.generation_id in job_states:
        job_status, job_error = job_states[product.generation_id]
        if job_status in ("failed", "cancelled"):
            status, error = "failed", job_error or GenerationFailed.default_message
    metadata = product.metadata_ or {}
    return {
        "id": str(product.id),
        "name": product.name,
        "image_url": storage.signed_url(product.image_key, ttl),
        "segmented_image_url": (
            storage.signed_url(product.segmented_key, ttl) if product.segmented_key else None
        ),
        "category": product.category,
        "metadata": {
            "brandName": metadata.get("brandName"),
            "productName": metadata.get("productName"),
            "productType": metadata.get("productType"),
            **_stored_colors(metadata),
            "materials": list(metadata.get("materials", [])),
        },
        "source": product.source,
        "status": status,
        "error": error,
        "created_at": isoformat(product.created_at),
    }


def _stored_colors(metadata: dict[str, Any]) -> dict[str, Any]:
    """The color keys as stored; products analysed before ``color_hex`` existed get their
    colors' palette swatches, so ``color_hex`` is always aligned with ``colors``."""
    colors = [str(name) for name in metadata.get("colors") or []]
    hexes = metadata.get("color_hex")
    if isinstance(hexes, list) and len(hexes) == len(colors):
        return {"colors": colors, "color": colors[0] if colors else None, "color_hex": hexes}
    return color_fields(colors)


def analysis_failure(product: Product, view_: dict[str, Any], error_code: str | None) -> KrevError:
    """The error an upload answers with when its analysis failed within the wait window."""
    kind: type[KrevError] = {
        StorageQuotaExceeded.code: StorageQuotaExceeded,
        "cancelled": Conflict,
    }.get(error_code or "", GenerationFailed)
    return kind(
        f"The product was stored but its analysis failed: {view_['error']}",
        extra={"product_id": str(product.id), "generation_id": str(product.generation_id)},
    )


# --- deleting -----------------------------------------------------------------------------


def delete_product(
    session: Session, storage: Storage, user_id: uuid.UUID, product_id: uuid.UUID
) -> None:
    """Remove the product and free its files' storage; the files go after commit.

    A product still being analyzed has its job cancelled through the generations' own cancel
    path (a queued job ends at once; a running one stops at its next step and, finding the
    product gone, removes the cutout it may have written)."""
    product = ProductRepository(session).lock_owned(product_id, user_id)
    if product is None:
        raise NotFound("Product not found.")
    if product.status == "analyzing" and product.generation_id is not None:
        generation = generations.get_owned(session, user_id, product.generation_id)
        if generation.status not in TERMINAL_STATUSES:
            generations.cancel(session, generation)
    keys = [key for key in (product.image_key, product.segmented_key) if key]
    delete_objects(session, storage, user_id, keys)
    ProductRepository(session).remove(product.id)


# --- corrections ----------------------------------------------------------------------------

TAXONOMY_HINT = "GET /api/v1/products/taxonomy lists the values"
_HEX = re.compile(r"^#[0-9a-f]{6}$")
# The metadata keys a correction sets, with what a cleared one holds.
_CLEARED: dict[str, Any] = {
    "brandName": None,
    "productName": None,
    "productType": None,
    "colors": [],
    "materials": [],
}
# How many brand names a user's analyses are told about: the most recently corrected.
MAX_KNOWN_BRANDS = 100


def is_color(value: str) -> bool:
    """Whether ``value`` names a color a product may carry: a CSS color name, a word of the
    analysis's palette (``vocabulary.palette_colors``: merchant words such as "kraft" join the
    palette there and are accepted from then on), or ``#rrggbb``. Case-insensitive."""
    text = value.strip().lower()
    return bool(_HEX.match(text)) or text in vocabulary.color_words()


def _color_entry(value: str) -> tuple[str, str]:
    """(the color's name, its hex) for a value ``is_color`` accepts: a hex is named with the
    palette, so that ``colors`` always holds words and ``color_hex`` the exact shade."""
    text = value.strip().lower()
    if _HEX.match(text):
        rgb = webcolors.hex_to_rgb(text)
        return product_color_name((rgb.red, rgb.green, rgb.blue)), text
    if text in MERCHANT_PALETTE:
        return text, MERCHANT_PALETTE[text][0]
    return text, webcolors.name_to_hex(text)


def _label_text(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        raise BadRequest(f"{field} must not be blank; send null to clear it.")
    return text


def _published(field: str, value: str | None, allowed: Sequence[str]) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split()).lower()
    if text not in allowed:
        raise BadRequest(f"{field} '{value}' is not a published value; {TAXONOMY_HINT}.")
    return text


def _colors(values: list[str] | None) -> tuple[list[str], list[str]]:
    names: list[str] = []
    hexes: list[str] = []
    for value in values or []:
        if not is_color(value):
            raise BadRequest(
                f"metadata.colors: '{value}' is not a color; send a CSS color name, a palette "
                f"word or #rrggbb ({TAXONOMY_HINT})."
            )
        name, hex_ = _color_entry(value)
        if name not in names:
            names.append(name)
            hexes.append(hex_)
    return names, hexes


def _materials(values: list[str] | None) -> list[str]:
    found: list[str] = []
    allowed = vocabulary.materials()
    for value in values or []:
        text = " ".join(value.split()).lower()
        text = vocabulary.MATERIAL_SPELLINGS.get(text, text)
        if text not in allowed:
            raise BadRequest(
                f"metadata.materials: '{value}' is not a published material; {TAXONOMY_HINT}."
            )
        if text not in found:
            found.append(text)
    return found


@dataclass(frozen=True)
class Correction:
    """What a valid PATCH sets: the top-level values and the metadata keys, normalised."""

    top: dict[str, Any]  # "name" (None: back to the derived name), "category"
    metadata: dict[str, Any]  # reference keys, plus color_hex/color when colors are set


def read_correction(patch: ProductPatch) -> Correction:
    """The PATCH's values checked against the published vocabulary and normalised; BadRequest
    naming the first that is not, before anything is read or written."""
    top: dict[str, Any] = {}
    if "name" in patch.model_fields_set:
        top["name"] = _label_text("name", patch.name)
    if "category" in patch.model_fields_set:
        top["category"] = _published("category", patch.category, vocabulary.categories())
    metadata: dict[str, Any] = {}
    given = patch.metadata
    if "metadata" in patch.model_fields_set and given is None:
        raise BadRequest("metadata must be an object of the keys to set; null clears a key.")
    if given is not None:
        fields = given.model_fields_set
        for key in ("brandName", "productName"):
            if key in fields:
                metadata[key] = _label_text(f"metadata.{key}", getattr(given, key))
        if "productType" in fields:
            types = [t.name for t in vocabulary.product_types()]
            metadata["productType"] = _published("metadata.productType", given.productType, types)
        if "colors" in fields:
            names, hexes = _colors(given.colors)
            # The hex values engines read, in the same order, and the first as "color".
            metadata.update(colors=names, color_hex=hexes, color=names[0] if names else None)
        if "materials" in fields:
            metadata["materials"] = _materials(given.materials)
    return Correction(top, metadata)


def _check_type_in_category(product_type: str | None, category: str | None) -> None:
    """A product type that belongs to one category cannot stand with another (a form such as
    "bottle", which holds many categories' products, stands with any)."""
    if product_type is None or category is None:
        return
    owner = next((t.category for t in vocabulary.product_types() if t.name == product_type), None)
    if owner is not None and owner != category:
        raise BadRequest(
            f"metadata.productType '{product_type}' belongs to the category '{owner}', not "
            f"'{category}': send category '{owner}', or a productType of '{category}' "
            "(GET /api/v1/products/taxonomy lists them)."
        )


def correct_product(
    session: Session, user_id: uuid.UUID, product_id: uuid.UUID, correction: Correction
) -> Product:
    """Apply ``correction`` to the user's product and record each value it changed (what the
    account's later analyses learn from). A product still being analyzed is refused (409): the
    analysis would overwrite the correction.

    A name that was derived is derived again from the corrected metadata, unless the
    correction gives one, which is then the user's; a ``null`` name is derived again."""
    product = ProductRepository(session).lock_owned(product_id, user_id)
    if product is None:
        raise NotFound("Product not found.")
    if product.status == "analyzing":
        raise ProductAnalyzing(
            "The product is still being analyzed; correct it once it is ready.",
            extra={"product_id": str(product.id)},
        )
    before_metadata = dict(product.metadata_ or {})
    before = {
        "name": product.name,
        "category": product.category,
        **{key: before_metadata.get(key, cleared) for key, cleared in _CLEARED.items()},
    }
    metadata = {**before_metadata, **correction.metadata}
    category = correction.top.get("category", product.category)
    if "category" in correction.top or "productType" in correction.metadata:
        _check_type_in_category(metadata.get("productType"), category)
    name_source = product.name_source
    name = product.name
    if "name" in correction.top:
        name = correction.top["name"]
        name_source = "auto" if name is None else "user"
    if name_source == "auto":
        name = auto_name(
            ProductMetadata(
                brand_name=metadata.get("brandName"),
                product_name=metadata.get("productName"),
                product_type=metadata.get("productType"),
                category=category,
                colors=list(metadata.get("colors") or []),
                materials=list(metadata.get("materials") or []),
            )
        )
    given = {**correction.top, **correction.metadata}
    # What the user changed: a value, or whose the name is ("name": null on a name of theirs).
    changed = {
        field: given[field]
        for field in before
        if field in given
        and (
            given[field] != before[field]
            or (field == "name" and name_source != product.name_source)
        )
    }
    product.metadata_ = metadata  # a new dict: the ORM sees the change
    product.category = category
    product.name = name
    product.name_source = name_source
    CorrectionRepository(session).add_all(
        ProductCorrection(
            user_id=user_id,
            product_id=product.id,
            field=field,
            value=value,
            previous=before[field],
        )
        for field, value in changed.items()
    )
    session.flush()
    return product


def catalog_labels(session: Session, user_id: uuid.UUID, product_id: uuid.UUID) -> list[list[str]]:
    """The label lines analysis read on this user's other products (never another user's):
    what tells a brand, which recurs across a catalog, from a product line."""
    return [
        [str(text) for text in texts]
        for texts in ProductRepository(session).label_texts(user_id, product_id)
        if isinstance(texts, list) and texts
    ]


def known_brands(session: Session, user_id: uuid.UUID) -> list[str]:
    """The brand names this user has given their products, as they last gave each one (a
    brand corrected twice counts as its latest value; a cleared one not at all), most
    recent first, without case-insensitive duplicates. Only this user's: what one account
    teaches is never used for another."""
    latest: dict[uuid.UUID, Any] = {}
    for product_id, value in CorrectionRepository(session).brand_names(user_id):
        latest.setdefault(product_id, value)
    brands: dict[str, str] = {}
    for value in latest.values():
        if isinstance(value, str) and value.strip():
            brands.setdefault(value.casefold(), value)
    return list(brands.values())[:MAX_KNOWN_BRANDS]


def taxonomy() -> dict[str, Any]:
    """The published vocabulary (``GET /api/v1/products/taxonomy``)."""
    types = vocabulary.product_types()
    return {
        "categories": [
            {"name": name, "types": [t.name for t in types if t.category == name]}
            for name in vocabulary.categories()
        ],
        "product_types": [{"name": t.name, "category": t.category} for t in types],
        "materials": list(vocabulary.materials()),
        "colors": list(vocabulary.palette_colors()),
        "css_colors": list(vocabulary.css_color_names()),
    }
