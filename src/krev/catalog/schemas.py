"""Request and response bodies of ``/api/v1/products``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from krev.kit.body import StrictBody


class ProductUpload(StrictBody):
    """The JSON form of an upload; multipart/form-data carries the same fields with ``file``
    (as text, which the endpoint reads into these types before validating)."""

    image_url: str = Field(
        min_length=1, description="Public http(s) URL of the product image, or a base64 data URL."
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Product name. Auto-generated from the analysis if omitted.",
    )
    skip_segmentation: bool = Field(
        default=False, description="Skip background removal for faster processing."
    )


class ProductMetadataOut(BaseModel):
    brandName: str | None = None  # noqa: N815 - the reference's field names
    productName: str | None = None  # noqa: N815
    productType: str | None = None  # noqa: N815
    colors: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)


class ProductOut(BaseModel):
    id: str
    name: str | None = Field(description="Null only while an unnamed upload is analyzing.")
    image_url: str = Field(
        description="Signed URL of the original image at full resolution: JPEG, or PNG when it "
        "has transparency (products stored by earlier versions: WebP)."
    )
    segmented_image_url: str | None = Field(
        description="Signed URL of the cutout (WebP with alpha); null when segmentation was "
        "skipped or has not finished."
    )
    category: str | None
    metadata: ProductMetadataOut
    source: str = Field(description='Where the product came from: "api".')
    status: str = Field(description="analyzing, ready or failed.")
    error: str | None = Field(default=None, description="Why analysis failed, when it did.")
    created_at: str


class ProductAccepted(ProductOut):
    """A 202: the product exists and is still being analyzed."""

    generation_id: str
    poll_url: str


class DeletedProduct(BaseModel):
    id: str
    deleted: bool = True
