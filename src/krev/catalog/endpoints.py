"""/api/v1/products: upload (JSON image_url or multipart file), list or get one, correct, delete;
the published taxonomy."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from krev.accounts.auth import Principal, require_scope
from krev.catalog import service
from krev.catalog.schemas import (
    DeletedProduct,
    ProductAccepted,
    ProductOut,
    ProductPatch,
    ProductUpload,
    TaxonomyOut,
)
from krev.errors import BadRequest, UnsupportedMediaType
from krev.generations.responses import JobAnswer, JobResponse, prefers_async
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ListEnvelope, ok
from krev.kit.openapi import schema_ref
from krev.kit.validation import describe_validation_error
from krev.models import Generation
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.routing import api_router
from krev.platform.runtime import Runtime

router = api_router(
    prefix="/api/v1/products",
    tags=["products"],
    responses={**ERROR_RESPONSES, 404: {"description": "No such product of yours."}},
)

ProductsScope = Annotated[Principal, Depends(require_scope("products"))]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": schema_ref(ProductUpload)},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string"},
                        "skip_segmentation": {"type": "boolean"},
                    },
                }
            },
        },
    }
}
_FORM_FIELDS = frozenset({"file", "name", "skip_segmentation"})
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


async def _read_upload(request: Request) -> tuple[ProductUpload, bytes | None]:
    """The upload's fields and, for multipart, the file's bytes."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise BadRequest("The request body is not valid JSON.") from error
        if not isinstance(payload, dict):
            raise BadRequest("The request body must be a JSON object.")
        try:
            return ProductUpload.model_validate(payload), None
        except ValidationError as error:
            raise BadRequest(describe_validation_error(error.errors())) from error
    if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.form(max_files=1, max_fields=len(_FORM_FIELDS))
        except Exception as error:  # starlette's MultiPartException and parser errors
            raise BadRequest(f"The multipart body could not be read: {error}") from error
        unknown = sorted(set(form.keys()) - _FORM_FIELDS)
        if unknown:
            raise BadRequest(f"Unknown form field(s): {', '.join(unknown)}.")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("Send the image as a file field named 'file', or JSON image_url.")
        name = form.get("name")
        skip = form.get("skip_segmentation")
        if isinstance(name, UploadFile) or isinstance(skip, UploadFile):
            raise BadRequest("name and skip_segmentation are text fields.")
        skip_text = (skip or "").strip().lower()
        if skip_text not in _TRUE | _FALSE:
            raise BadRequest("skip_segmentation must be true or false.")
        data = await upload.read()
        fields = {"image_url": "upload", "skip_segmentation": skip_text in _TRUE}
        if name is not None and name.strip():
            fields["name"] = name.strip()
        try:
            return ProductUpload.model_validate(fields), data
        except ValidationError as error:
            raise BadRequest(describe_validation_error(error.errors())) from error
    raise UnsupportedMediaType(
        "Send application/json with image_url, or multipart/form-data with a file field."
    )


@router.post(
    "",
    name="upload",
    response_model=Envelope[ProductOut],
    responses={
        202: {"model": Envelope[ProductAccepted], "description": "Still analyzing; poll it."},
        413: {"model": ErrorEnvelope, "description": "Image or storage quota too large."},
        415: {"model": ErrorEnvelope, "description": "Not a JPG, PNG or WebP image."},
    },
    openapi_extra=_UPLOAD_BODY,
)
async def upload_product(
    request: Request, principal: ProductsScope, session: SessionDep, runtime: RuntimeDep
) -> JobResponse:
    """Upload a product image (JPG, PNG or WebP) and run background removal, metadata
    extraction and auto-naming. Answers 200 with the product when analysis finishes within the
    wait window, else 202 with the product still analyzing."""
    upload, data = await _read_upload(request)
    product = await service.upload_product(
        session, runtime, principal.user, upload, data, principal.cause
    )
    assert product.generation_id is not None
    return JobResponse(
        runtime,
        product.generation_id,
        ProductAnswer(runtime, principal.user.id, product.id),
        prefer_async=prefers_async(request),
    )


class ProductAnswer(JobAnswer):
    """An upload answers with the product: ready, or still analyzing (with its job's poll
    URL), or the analysis's failure."""

    def __init__(self, runtime: Runtime, user_id: uuid.UUID, product_id: uuid.UUID) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.product_id = product_id

    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        product = service.get_owned(session, self.user_id, self.product_id)
        return _view(self.runtime, product, service.job_states(session, [product]))

    def finished(self, session: Session, generation: Generation) -> dict[str, Any]:
        view = self.result(session, generation)
        if view["status"] != "ready":
            product = service.get_owned(session, self.user_id, self.product_id)
            raise service.analysis_failure(product, view, generation.error_code)
        return view

    def accepted(self, session: Session, generation: Generation, url: str) -> dict[str, Any]:
        product = service.get_owned(session, self.user_id, self.product_id)
        return {
            **_view(self.runtime, product),
            "generation_id": str(generation.id),
            "poll_url": url,
        }


def _view(
    runtime: Runtime, product: Any, states: dict[uuid.UUID, tuple[str, str | None]] | None = None
) -> dict[str, Any]:
    return service.view(product, runtime.storage, runtime.settings.signed_url_ttl_seconds, states)


@router.get(
    "",
    name="list",
    response_model=ListEnvelope[ProductOut] | Envelope[ProductOut],
)
def list_products(
    principal: ProductsScope,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    id: Annotated[
        uuid.UUID | None, Query(description="Get a single product by ID (data is one object).")
    ] = None,
) -> dict[str, Any]:
    """Your products, newest first, with signed image URLs; or one product with ``id``."""
    if id is not None:
        product = service.get_owned(session, principal.user.id, id)
        return ok(_view(runtime, product, service.job_states(session, [product])))
    found = service.list_owned(session, principal.user.id, page)
    states = service.job_states(session, found.items)
    data = [_view(runtime, product, states) for product in found.items]
    return {"success": True, "data": data, "meta": found.meta}


@router.get("/taxonomy", name="taxonomy", response_model=Envelope[TaxonomyOut])
def get_taxonomy(_principal: ProductsScope) -> dict[str, Any]:
    """The published values of a product's `category`, `metadata.productType` (each with its
    category), `metadata.materials` and the color words of `metadata.colors`: what analysis
    answers with and what a correction may set."""
    return ok(service.taxonomy())


@router.patch(
    "",
    name="update",
    response_model=Envelope[ProductOut],
    responses={
        409: {"model": ErrorEnvelope, "description": "The product is still being analyzed."},
    },
)
def update_product(
    body: ProductPatch,
    principal: ProductsScope,
    session: SessionDep,
    runtime: RuntimeDep,
    id: Annotated[uuid.UUID, Query(description="The product to correct.")],
) -> dict[str, Any]:
    """Correct a product's analysis: the body is shaped like the product, every key optional.
    A key given replaces that value, `null` clears it, a key left out is kept. `category` and
    `metadata.productType` take the values of `GET /api/v1/products/taxonomy`.

    A name that was generated is generated again from the corrected `brandName` and
    `productName`; a `name` given stays as given. Your later uploads learn the brand names you
    correct (your account's only). Bad input changes nothing (400)."""
    correction = service.read_correction(body)
    product = service.correct_product(session, principal.user.id, id, correction)
    return ok(_view(runtime, product))


@router.delete("", name="delete", response_model=Envelope[DeletedProduct])
def delete_product(
    principal: ProductsScope,
    session: SessionDep,
    runtime: RuntimeDep,
    id: Annotated[uuid.UUID, Query(description="The product to delete.")],
) -> dict[str, Any]:
    """Delete a product and its images; their storage is freed."""
    service.delete_product(session, runtime.storage, principal.user.id, id)
    return ok({"id": str(id), "deleted": True})
