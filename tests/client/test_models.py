"""The SDK's models against the server's OpenAPI document: each one has its schema's fields,
the same required ones, the same types, and the values it restricts a field to are the
server's; every schema a public operation reaches has its model. A change on either side
that the other does not follow fails here."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from krev_client import models
from tests.client.openapi_doc import (
    answer_schemas,
    body_schema,
    enum,
    public_operations,
    reachable,
    shape,
)

# Each model of krev_client.models and the schema it is (components/schemas).
SCHEMAS: dict[type[BaseModel], str] = {
    models.AdCapabilities: "AdCapabilitiesOut",
    models.AdCopy: "AdCopyOut",
    models.AdRequest: "AdRequest",
    models.AdResult: "AdsOut",
    models.AdStyle: "AdStyleOut",
    models.AnalysisCapabilities: "AnalysisCapabilitiesOut",
    models.Capabilities: "CapabilitiesOut",
    models.ChatCapabilities: "ChatCapabilitiesOut",
    models.ChatQueued: "ChatQueued",
    models.ChatRequest: "ChatRequest",
    models.Conversation: "ConversationOut",
    models.ConversionBatch: "ConversionBatchBody",
    models.ConversionEvent: "ConversionEventBody",
    models.ConversionEventRecord: "ConversionEventOut",
    models.ConversionsAccepted: "ConversionsAccepted",
    models.CreditUsage: "CreditUsageOut",
    models.Credits: "CreditsOut",
    models.CreditsBalance: "CreditsBalance",
    models.DeletedGeneration: "DeletedGeneration",
    models.DeletedProduct: "DeletedProduct",
    models.Engine: "EngineOut",
    models.Generation: "GenerationOut",
    models.GenerationOutput: "GenerationOutput",
    models.ImageCapabilities: "ImageCapabilitiesOut",
    models.ImageRequest: "ImageRequest",
    models.ImageResult: "ImagesOut",
    models.JobAccepted: "JobAccepted",
    models.JobRef: "JobRef",
    models.LedgerEntry: "LedgerEntryOut",
    models.Media: "MediaOut",
    models.Message: "MessageOut",
    models.Preset: "PresetOut",
    models.Prices: "PricesOut",
    models.Product: "ProductOut",
    models.ProductAccepted: "ProductAccepted",
    models.ProductMetadata: "ProductMetadataOut",
    models.ProductMetadataPatch: "ProductMetadataPatch",
    models.ProductPatch: "ProductPatch",
    models.ProductUpload: "ProductUpload",
    models.Run: "RunOut",
    models.StorageUsage: "StorageUsage",
    models.Taxonomy: "TaxonomyOut",
    models.TaxonomyCategory: "TaxonomyCategory",
    models.TaxonomyType: "TaxonomyType",
    models.UsageByKind: "UsageByKind",
    models.UsageDay: "UsageDay",
    models.VideoCapabilities: "VideoCapabilitiesOut",
    models.VideoRequest: "VideoRequest",
    models.VideoResult: "VideoOut",
}
NAMES = {model.__name__: schema for model, schema in SCHEMAS.items()}


def test_every_model_is_tied_to_a_schema() -> None:
    exported = {getattr(models, name) for name in models.__all__}
    assert exported == set(SCHEMAS)
    assert len(set(SCHEMAS.values())) == len(SCHEMAS)


def test_every_schema_of_a_public_operation_has_its_model(openapi: dict[str, Any]) -> None:
    used: set[str] = set()
    for operation in public_operations(openapi).values():
        used |= answer_schemas(openapi, operation)
        body = body_schema(operation)
        if body is not None:
            used.add(body)
        content = operation.get("requestBody", {}).get("content", {})
        for option in content.get("application/json", {}).get("schema", {}).get("oneOf", []):
            used.add(option["$ref"].rsplit("/", 1)[-1])
    assert reachable(openapi, used) - set(SCHEMAS.values()) == set()


@pytest.mark.parametrize("model", list(SCHEMAS), ids=lambda model: model.__name__)
def test_model_matches_its_schema(openapi: dict[str, Any], model: type[BaseModel]) -> None:
    theirs = openapi["components"]["schemas"][SCHEMAS[model]]
    ours = model.model_json_schema(by_alias=True)

    assert set(ours["properties"]) == set(theirs["properties"])
    assert set(ours.get("required", [])) == set(theirs.get("required", []))
    for name, schema in theirs["properties"].items():
        mine = ours["properties"][name]
        assert shape(mine, NAMES) == shape(schema), name
        # A value set the SDK restricts a field to is the server's exactly; a field the SDK
        # leaves an open string takes whatever the server adds later.
        if enum(mine) is not None:
            assert enum(mine) == enum(schema), name

    extra = model.model_config.get("extra")
    if theirs.get("additionalProperties") is True:
        assert extra == "allow"
    elif theirs.get("additionalProperties") is False:
        assert extra == "forbid"
    elif issubclass(model, models.ResponseModel):
        assert extra in ("ignore", "allow")  # a newer server's fields never break parsing
