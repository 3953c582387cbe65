"""Request and response bodies of ``/api/v1/products``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from krev.engines.studio import vocabulary
from krev.kit.body import StrictBody

# A corrected brand or product line is at most this long, so that the name derived from them,
# "{productName} by {brandName}", fits a product's name (200 characters).
MAX_LABEL_NAME = 95
MAX_COLORS = 10
MAX_MATERIALS = 10

# The published values, as OpenAPI enums; the service checks them (krev.catalog.service) so
# that a refusal names the taxonomy endpoint.
CategoryName = Annotated[
    str,
    WithJsonSchema({"type": "string", "enum": list(vocabulary.categories())}),
]
ProductTypeName = Annotated[
    str,
    WithJsonSchema(
        {"type": "string", "enum": list(dict.fromkeys(t.name for t in vocabulary.product_types()))}
    ),
]


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


class ProductMetadataPatch(StrictBody):
    """The metadata keys a correction may set: a key given replaces that value, ``null`` clears
    it, a key left out is kept."""

    brandName: str | None = Field(  # noqa: N815 - the reference's field names
        default=None, min_length=1, max_length=MAX_LABEL_NAME, description="The brand."
    )
    productName: str | None = Field(  # noqa: N815
        default=None,
        min_length=1,
        max_length=MAX_LABEL_NAME,
        description="The product line or model, without the brand.",
    )
    productType: ProductTypeName | None = Field(  # noqa: N815
        default=None, description="A product type of GET /api/v1/products/taxonomy."
    )
    colors: list[str] | None = Field(
        default=None,
        max_length=MAX_COLORS,
        description="Most prominent first: CSS color names, the taxonomy's palette words, or "
        "#rrggbb (stored as the palette's name for it).",
    )
    materials: list[str] | None = Field(
        default=None,
        max_length=MAX_MATERIALS,
        description="Materials of GET /api/v1/products/taxonomy.",
    )


class ProductPatch(StrictBody):
    """A correction of a product, shaped like the product: every key optional."""

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The product's name, which then stays as given; null returns it to the "
        "name derived from brandName and productName.",
    )
    category: CategoryName | None = Field(
        default=None, description="A category of GET /api/v1/products/taxonomy."
    )
    metadata: ProductMetadataPatch | None = Field(
        default=None, description="The metadata keys to set; those left out are kept."
    )


class TaxonomyCategory(BaseModel):
    name: str
    types: list[str] = Field(description="The product types of this category.")


class TaxonomyType(BaseModel):
    name: str
    category: str | None = Field(
        description="The category the type belongs to; null for a form that holds products "
        'of many categories ("bottle").'
    )


class TaxonomyOut(BaseModel):
    categories: list[TaxonomyCategory]
    product_types: list[TaxonomyType]
    materials: list[str]
    colors: list[str] = Field(description="The palette analysis names colors with.")
    css_colors: list[str] = Field(
        description="Every CSS color name, also accepted in metadata.colors (as is #rrggbb)."
    )


class ProductMetadataOut(BaseModel):
    brandName: str | None = None  # noqa: N815 - the reference's field names
    productName: str | None = None  # noqa: N815
    productType: str | None = None  # noqa: N815
    colors: list[str] = Field(
        default_factory=list,
        description="The product's colors, most prominent first, as names from the published "
        "merchant palette (CSS names such as tan and navy, and kraft, cream, mint).",
    )
    color: str | None = Field(default=None, description="The first of colors.")
    color_hex: list[str] = Field(
        default_factory=list,
        description='Each of colors as "#rrggbb", in the same order: the shade measured on the '
        "product's pixels.",
    )
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
