"""A ``ProductAnalyzer`` that asks a vision LLM behind an OpenAI-compatible chat-completions API
(OpenAI, Azure-style gateways, Ollama, vLLM, llama.cpp) what the product is.

The model sees the photo once, downscaled, and must answer one JSON object. Its answer is never
trusted as is: category and product type must exist in the studio taxonomy, materials must be in
the material vocabulary, names are trimmed and length-capped; anything else becomes None or is
dropped. Colors always come from the pixel-based color analysis, which an LLM cannot beat.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
from PIL import Image

from krev.engines.base import AlphaMask, ColorAnalysis, ProductMetadata, RGBImage
from krev.engines.openai_errors import openai_error_detail
from krev.engines.studio.taxonomy import (
    MATERIALS,
    TAXONOMY,
    match_materials,
    match_taxonomy,
)

__all__ = ["OpenAIVisionAnalyzer", "VisionAnalysisError", "encode_for_upload", "validate_answer"]

_MAX_SIDE = 768  # enough for a label to be legible; more only costs tokens and upload time
_JPEG_QUALITY = 85
_MAX_NAME = 120  # a brand or product line longer than this is prose, not a name

_CATEGORIES = {category.name: category for category in TAXONOMY}
_TYPES = {
    product_type.name: category.name for category in TAXONOMY for product_type in category.types
}

_INSTRUCTIONS = (
    "You catalog e-commerce product photos. Look at the product in the image and answer with "
    "one JSON object with exactly these keys:\n"
    '  "brandName": the brand as printed on the product or its label, else null;\n'
    '  "productName": the product line or model name printed there (not the brand, not a '
    "size or claim), else null;\n"
    '  "productType": one of the product types listed below, else null;\n'
    '  "category": one of the categories listed below, else null;\n'
    '  "materials": materials you can clearly see or read, each from the list below; [] if '
    "unsure.\n"
    "Never guess text you cannot read; null is better than a guess.\n"
    "Categories and their product types:\n{taxonomy}\n"
    "Materials: {materials}."
)


class VisionAnalysisError(Exception):
    """The LLM could not give a usable answer; ``message`` is safe to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _instructions() -> str:
    taxonomy = "\n".join(
        f"- {category.name}: {', '.join(t.name for t in category.types)}" for category in TAXONOMY
    )
    return _INSTRUCTIONS.format(taxonomy=taxonomy, materials=", ".join(MATERIALS))


def encode_for_upload(image: RGBImage, max_side: int = _MAX_SIDE) -> str:
    """The photo as a JPEG data URL, its long side at most ``max_side``."""
    picture = Image.fromarray(np.ascontiguousarray(image), "RGB")
    if max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).strip(" .,;:\"'")
    if not text or len(text) > _MAX_NAME or text.lower() in ("null", "none", "unknown", "n/a"):
        return None
    return text


def _product_type(value: Any) -> tuple[str, str] | None:
    """(type, its category) for a type the taxonomy knows, by name or by its keywords."""
    text = _name(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TYPES:
        return lowered, _TYPES[lowered]
    return match_taxonomy([text])


def validate_answer(answer: dict[str, Any], colors: list[str]) -> ProductMetadata:
    """The LLM's JSON reduced to what the taxonomy and vocabularies allow."""
    category_text = _name(answer.get("category"))
    category = category_text.lower() if category_text else None
    typed = _product_type(answer.get("productType"))
    if category not in _CATEGORIES:
        # A category the taxonomy lacks is dropped, never invented; a type given as the
        # category ("serum", where "supplement" would be one) names both.
        from_category = _product_type(category_text)
        category = None
        typed = typed or from_category
    product_type: str | None = None
    if typed is not None:
        if category is None:
            product_type, category = typed
        elif typed[1] == category:
            product_type = typed[0]
        # A type from another category contradicts the category: keep neither guess's detail.
    return ProductMetadata(
        brand_name=_name(answer.get("brandName")),
        product_name=_name(answer.get("productName")),
        product_type=product_type,
        category=category,
        colors=colors,
        materials=_materials(answer.get("materials")),
    )


def _materials(value: Any) -> list[str]:
    """Vocabulary materials only: a canonical name ("gold") or a phrase the vocabulary maps
    ("plastic bottle" -> plastic); anything else is dropped, in vocabulary order."""
    if not isinstance(value, list):
        return []
    named = [" ".join(item.lower().split()) for item in value if isinstance(item, str)]
    found = {item for item in named if item in MATERIALS}
    found.update(match_materials(named))
    return [material for material in MATERIALS if material in found]


class OpenAIVisionAnalyzer:
    """``ProductAnalyzer`` over ``POST {base_url}/chat/completions`` with one image part.

    ``transport`` lets tests and embedders route requests without a network; by default httpx's
    own transport is used, without environment proxies (the base URL is operator configuration
    and means exactly what it says).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_side: int = _MAX_SIDE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_side = max_side
        self._transport = transport

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"OpenAIVisionAnalyzer(base_url={self.base_url!r}, model={self.model!r})"

    def request_body(self, image: RGBImage, known_brands: Sequence[str] = ()) -> dict[str, Any]:
        question = "Describe this product as the JSON object."
        if known_brands:
            # The account's own brand names, from its corrections: the model tells brand from
            # product line by them, as the embedded analyzer does.
            question += (
                " This seller's brands include: "
                + "; ".join(json.dumps(brand, ensure_ascii=False) for brand in known_brands)
                + ". If one of them is printed on the product, it is the brandName."
            )
        return {
            "model": self.model,
            "response_format": {"type": "json_object"},
            "temperature": 0,
            "messages": [
                {"role": "system", "content": _instructions()},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": question},
                        {
                            "type": "image_url",
                            "image_url": {
                                "url": encode_for_upload(image, self.max_side),
                                "detail": "auto",
                            },
                        },
                    ],
                },
            ],
        }

    def ask(self, image: RGBImage, known_brands: Sequence[str] = ()) -> dict[str, Any]:
        """The model's JSON answer about ``image``; VisionAnalysisError when there is none."""
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            with httpx.Client(
                timeout=self.timeout, transport=self._transport, trust_env=False
            ) as client:
                response = client.post(
                    f"{self.base_url}/chat/completions",
                    json=self.request_body(image, known_brands),
                    headers=headers,
                )
        except httpx.TimeoutException as error:
            raise VisionAnalysisError(
                f"The vision LLM did not answer within {self.timeout:g} s."
            ) from error
        except httpx.HTTPError as error:
            raise VisionAnalysisError(
                f"The vision LLM could not be reached ({type(error).__name__})."
            ) from error
        if response.status_code != 200:
            detail = openai_error_detail(response, self._api_key)
            raise VisionAnalysisError(
                f"The vision LLM answered HTTP {response.status_code}"
                + (f": {detail}" if detail else "")
                + "."
            )
        return _answer_object(response)

    def analyze(
        self,
        image: RGBImage,
        alpha: AlphaMask | None,
        colors: ColorAnalysis,
        *,
        known_brands: Sequence[str] = (),
        catalog_labels: Sequence[Sequence[str]] = (),  # the model reads the label itself
    ) -> ProductMetadata:
        # The whole photo goes up, not the cutout: context (a shoe box, a hand) helps the model
        # and the segmenter's mistakes cannot hide the label from it.
        answer = self.ask(image, known_brands)
        names = list(dict.fromkeys(color.name for color in colors.colors))
        return validate_answer(answer, names)


def _answer_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
        content = body["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise VisionAnalysisError("The vision LLM's response is not a chat completion.") from error
    if not isinstance(content, str):
        raise VisionAnalysisError("The vision LLM's response has no text content.")
    text = content.strip()
    if text.startswith("```"):
        # Some OpenAI-compatible servers ignore response_format and fence the JSON.
        text = text.strip("`").removeprefix("json").strip()
    try:
        answer = json.loads(text)
    except ValueError as error:
        raise VisionAnalysisError("The vision LLM's answer is not valid JSON.") from error
    if not isinstance(answer, dict):
        raise VisionAnalysisError("The vision LLM's answer is not a JSON object.")
    return answer
