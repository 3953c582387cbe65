"""A ``Copywriter`` that asks a chat model behind an OpenAI-compatible chat-completions API
(OpenAI, Azure-style gateways, Ollama, vLLM, llama.cpp) for ad copy, as one JSON object.

The model's answer is never passed on as is: it must hold one variant per ad, each field a
non-empty string within Meta's limits, the CTA one of Meta's labels, the variants different,
and no figure (a number, a percentage) that the brief, the brand notes and the product
metadata did not give. Anything else is an ``InvalidRequest``: the copy provider layer then
falls back to the embedded copywriter rather than cut or patch the model's words.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from krev.engines.hosted import retry_after
from krev.engines.openai_errors import openai_error_detail
from krev.engines.providers import (
    BODY_COPY_MAX,
    CTA_LABELS,
    HEADLINE_MAX,
    HOOK_MAX,
    AdCopy,
    ContentRefused,
    CopyProduct,
    CopyRequest,
    InvalidRequest,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
    copy_problems,
    invented_figures,
)

__all__ = ["OpenAICopywriter", "read_answer"]

_SHAPES: dict[str, str] = {
    "direct": "lead with the product's strongest benefit the facts state, then a direct call "
    "to act.",
    "quiet": "few, refined words; understated; no exclamation marks, no hype.",
    "offer": "the offer is the message: the deal, its code and its deadline exactly as the "
    "facts state them. If the facts state no offer, write energetic copy with no offer, "
    "discount, price, deadline or scarcity at all.",
    "quote": "a customer's words: quote only a quote the facts give, in quotation marks with "
    "its author. If they give none, speak warmly as the brand and never write a quote, a "
    "review, a rating or what customers say.",
    "benefits": "up to three short benefit lines, as a checklist a shopper scans.",
    "contrast": "the product against the ordinary alternative (what the facts compare it "
    "with, else 'the usual'); never name a competitor.",
}
_INSTRUCTIONS = (
    "You write Meta (Facebook and Instagram) ad copy for e-commerce merchants. Answer with one "
    'JSON object: {{"variants": [{{"hook": ..., "headline": ..., "body_copy": ..., "cta": ...}}, '
    "...]}} with exactly {count} variant(s), each different from the others.\n"
    "- hook: the line printed on the image that stops the scroll, at most {hook} characters.\n"
    "- headline: at most {headline} characters.\n"
    "- body_copy: the primary text, at most {body} characters.\n"
    "- cta: exactly one of: {ctas}.\n"
    "Count characters: longer text is rejected, never cut.\n"
    "Use only the facts you are given (brief, brand notes, products). Never invent numbers, "
    "percentages, prices, discounts, deadlines, awards, ratings, reviews, customer quotes, "
    "ingredients or superlatives. The brief may contain instructions to you (such as 'create "
    "an ad for'); follow them, never repeat them in the copy.\n"
    "Style: {style_name}. Tone: {tone}. Shape: {shape}"
)


def _product_facts(product: CopyProduct) -> dict[str, Any]:
    facts = {
        "name": product.name,
        "brand": product.brand_name,
        "product_line": product.product_name,
        "type": product.product_type,
        "category": product.category,
        "colors": product.colors,
        "materials": product.materials,
    }
    return {key: value for key, value in facts.items() if value}


class OpenAICopywriter:
    """``Copywriter`` (id ``openai``) over ``POST {base_url}/chat/completions``.

    ``transport`` lets tests and embedders route requests without a network; by default httpx's
    own transport is used, without environment proxies (the base URL is operator configuration
    and means exactly what it says).
    """

    id = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        # One client for the provider's life: thread-safe, and it keeps connections alive.
        self._client = httpx.Client(timeout=timeout, transport=transport, trust_env=False)

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"OpenAICopywriter(base_url={self.base_url!r}, model={self.model!r})"

    def close(self) -> None:
        self._client.close()

    def request_body(self, request: CopyRequest) -> dict[str, Any]:
        instructions = _INSTRUCTIONS.format(
            count=request.count,
            hook=HOOK_MAX,
            headline=HEADLINE_MAX,
            body=BODY_COPY_MAX,
            ctas=", ".join(CTA_LABELS),
            style_name=request.style_name,
            tone=request.tone,
            shape=_SHAPES.get(request.copy_shape, _SHAPES["direct"]),
        )
        facts = {
            "brief": request.brief,
            "brand_notes": request.brand_context,
            "products": [_product_facts(product) for product in request.products],
        }
        return {
            "model": self.model,
            "response_format": {"type": "json_object"},
            "temperature": 0.8,
            "seed": request.seed,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
            ],
        }

    def write(self, request: CopyRequest) -> list[AdCopy]:
        if request.count < 1:
            return []
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            response = self._client.post(
                f"{self.base_url}/chat/completions",
                json=self.request_body(request),
                headers=headers,
            )
        except httpx.TimeoutException as error:
            raise ProviderTimeout(
                f"The copy LLM did not answer within {self.timeout:g} s."
            ) from error
        except httpx.HTTPError as error:
            raise TemporarilyUnavailable(
                f"The copy LLM could not be reached ({type(error).__name__})."
            ) from error
        if response.status_code != 200:
            raise self._error(response)
        return read_answer(_content(response), request)

    def _error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        detail = openai_error_detail(response, self._api_key)
        said = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429:
            return RateLimited(
                f"The copy LLM is rate limiting requests ({said}).",
                retry_after=retry_after(response),
            )
        if status in (401, 403):
            return InvalidRequest(
                f"The copy LLM refused the server's API key (HTTP {status}); the operator "
                "must check KREV_LLM_API_KEY."
            )
        if status == 408:
            return ProviderTimeout(f"The copy LLM timed out ({said}).")
        if status == 409 or status >= 500:
            return TemporarilyUnavailable(
                f"The copy LLM is temporarily unavailable ({said}).",
                retry_after=retry_after(response),
            )
        return InvalidRequest(f"The copy LLM refused the request ({said}).")


def _content(response: httpx.Response) -> str:
    """The assistant message's text; the typed error when the model refused or stopped."""
    try:
        choice = response.json()["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise InvalidRequest("The copy LLM's response is not a chat completion.") from error
    if not isinstance(choice, dict) or not isinstance(message, dict):
        raise InvalidRequest("The copy LLM's response is not a chat completion.")
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise ContentRefused("The copy LLM's safety system refused to write this ad's copy.")
    if choice.get("finish_reason") == "length":
        raise InvalidRequest("The copy LLM's answer was cut off before it ended.")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidRequest("The copy LLM's response has no text content.")
    return content


def read_answer(content: str, request: CopyRequest) -> list[AdCopy]:
    """The model's JSON answer as ``request.count`` copies, or ``InvalidRequest`` saying what
    is wrong with it (never a repaired answer)."""
    text = content.strip()
    if text.startswith("```"):
        # Some OpenAI-compatible servers ignore response_format and fence the JSON.
        text = text.strip("`").removeprefix("json").strip()
    try:
        answer = json.loads(text)
    except ValueError as error:
        raise InvalidRequest("The copy LLM's answer is not valid JSON.") from error
    variants = answer.get("variants") if isinstance(answer, dict) else None
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise InvalidRequest('The copy LLM\'s answer has no "variants" list of objects.')
    if len(variants) < request.count:
        raise InvalidRequest(
            f"The copy LLM wrote {len(variants)} variant(s) where {request.count} were asked."
        )
    copies = [_copy(variant, request.style_name) for variant in variants[: request.count]]
    problems: list[str] = []
    for number, copy in enumerate(copies, 1):
        found = copy_problems(copy) + invented_figures(copy, request)
        problems += [f"variant {number}: {problem}" for problem in found]
    if len({(c.hook, c.headline, c.body_copy) for c in copies}) < len(copies):
        problems.append("two variants are the same")
    if problems:
        raise InvalidRequest("The copy LLM's answer breaks the rules: " + "; ".join(problems[:3]))
    return copies


def _copy(variant: dict[str, Any], style_name: str) -> AdCopy:
    def text(key: str) -> str:
        value = variant.get(key)
        # Runs of white space (a line break in the primary text) read as one space on a
        # single-line layout; nothing else about the model's words is changed.
        return " ".join(value.split()) if isinstance(value, str) else ""

    cta = text("cta")
    label = next((label for label in CTA_LABELS if label.lower() == cta.lower()), cta)
    return AdCopy(
        style_name=style_name,
        hook=text("hook"),
        headline=text("headline"),
        body_copy=text("body_copy"),
        cta=label,
    )
