"""The typed parameters of a ``product_analysis`` job, versioned: version 2 (issue 11) records
the analyzer and segmenter chosen when the product was uploaded; a version 1 job (stored before)
uses the worker's own."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PARAMS_VERSION = 2


class AnalysisJob(BaseModel):
    version: int = PARAMS_VERSION
    product_id: str
    skip_segmentation: bool = False
    analyze_engine: str | None = None
    segment_engine: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> AnalysisJob:
        if "version" not in params:
            return cls.model_validate({**params, "version": 1})
        return cls.model_validate(params)

    def as_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
