"""The chat agent an LLM runs (``KREV_CHAT_ENGINE=openai``): a tool loop over Krev's chat tools
against any OpenAI-compatible chat-completions API (OpenAI, Ollama, vLLM, llama.cpp server).

The loop itself is pydantic-ai's (``openai_chat_loop``), so this module only says what a run
is given and what it gives back; it imports without the optional ``llm`` extra, and building an
``LlmAgent`` without it raises ``LlmExtraMissing`` naming the extra.

The model decides; it never acts. Each tool call it makes goes to the caller's ``call_tool``
(the chat domain checks the key, the scopes and the run's credit budget, and runs the call),
and whatever that returns, a result or an error, is sent back for the model to read. The model
is offered exactly the tools the caller passes, each one of ``krev.engines.chat.TOOLS``: never
another, so it has no way to reach a Meta campaign, an ad set, a budget or an account.

A model's mistakes are its to fix, within bounds: arguments that are not JSON, not an object,
or not what the tool's schema allows are answered with what is wrong, and the model may call
again, a few times in a row at most (``max_retries``); a run that keeps failing so, or that
reaches its step limit, ends with a transcript that says so. What the provider does wrong (an
HTTP error, a timeout, a refused connection) is a ``ProviderError``, as for every provider.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from krev.engines.chat import TOOLS, ToolCall, ToolOutcome, ToolSpec

__all__ = [
    "INSTALL_HINT",
    "SYSTEM_PROMPT",
    "AgentStop",
    "AgentTranscript",
    "ChatRole",
    "LlmAgent",
    "LlmExtraMissing",
    "installed",
]

INSTALL_HINT = "install the extra: pip install 'krev[llm]'"

ChatRole = Literal["user", "assistant"]
AgentStop = Literal["answered", "step_limit", "malformed_calls"]
"""Why a run ended: the model answered; it reached its step limit; it kept calling a tool with
arguments that could not be used."""

SYSTEM_PROMPT = """\
You are Krev's creative assistant for e-commerce merchants who advertise on Meta (Facebook \
and Instagram). You help them make ad creative: ad concepts and copy, product images, short \
product videos and finished ads, from the products in their Krev catalog.

Work with the tools you are given, and only with them:
- list_products and get_product find the merchant's products; use the ids they return, never \
invent one.
- check_credits tells what the account may still spend. generate_images, generate_video and \
generate_ads render media and are charged; write_concepts and research_ad_library are free.
- Make what the merchant asked for, no more: do not render media they did not ask for, and \
when a request is unclear, prefer free tools (concepts) and say what you assumed.
- A tool may answer with an error (not enough credits, a product that is not ready, an \
invalid argument). Read it, fix what you can, and otherwise tell the merchant plainly what \
did not work and why.

You create; you do not run ads. You have no tools to create, change, pause, publish or delete \
Meta campaigns, ad sets, ads, budgets, bids, audiences or ad accounts, and you cannot see their \
results. If asked to, say so plainly, in one sentence, and offer the creative you can make \
instead; never pretend that something was published or changed.

Never invent facts about a product (prices, discounts, ratings, reviews, ingredients, awards) \
that its catalog data or the merchant did not give. Answer in the merchant's language, briefly: \
what you made, with the ids the tools returned, and anything that failed.\
"""


class LlmExtraMissing(RuntimeError):
    """pydantic-ai (the ``llm`` extra) is not installed."""


def installed() -> bool:
    """pydantic-ai, openai and jsonschema are importable (found without importing them)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("pydantic_ai", "openai", "jsonschema")
    )


@dataclass(frozen=True)
class AgentTranscript:
    """What one run of the agent did."""

    text: str
    """The model's final answer; "" when the run stopped before it gave one."""
    steps: tuple[ToolOutcome, ...]
    """Every tool call that ran, in order, with what it returned (``call`` is the call)."""
    stopped: AgentStop = "answered"
    notes: tuple[str, ...] = ()
    """Sentences about how the run went ("the step limit was reached"), for the reply."""
    model_requests: int = 0
    rejected_calls: int = 0
    """Tool calls whose arguments were sent back to the model to fix (not JSON, not an
    object, not the tool's schema) or that named no tool it was offered."""


CallTool = Callable[[ToolCall], ToolOutcome]


class LlmAgent:
    """Runs the chat tool loop with a model behind ``POST {base_url}/chat/completions``.

    ``api_key`` may be None for a local server that needs none (Ollama, llama.cpp);
    ``timeout`` is the seconds one model request may take; ``max_steps`` the model requests one
    run may make (each answer, with or without tool calls, is one); ``max_retries`` how many
    times in a row the model may be sent back to fix a tool call's arguments.

    One agent serves any number of runs, one after another or in several threads: a run's
    state (its HTTP client, its event loop, its steps) is its own.
    """

    id = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_steps: int = 12,
        max_retries: int = 2,
    ) -> None:
        if not installed():
            raise LlmExtraMissing(
                f"The LLM chat agent needs pydantic-ai, which is not installed; {INSTALL_HINT}."
            )
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_steps = max_steps
        self.max_retries = max_retries

    def __repr__(self) -> str:  # the key stays out of reprs, logs and tracebacks
        return f"LlmAgent(base_url={self.base_url!r}, model={self.model!r})"

    def run(
        self,
        system_prompt: str,
        history: Sequence[tuple[ChatRole, str]],
        message: str,
        tools: Sequence[ToolSpec],
        call_tool: CallTool,
    ) -> AgentTranscript:
        """One run: the model reads ``system_prompt``, the conversation so far (``history``,
        oldest first) and ``message``, calls ``tools`` through ``call_tool`` as it sees fit,
        and answers. ``call_tool`` runs in the calling thread, one call at a time, in the
        order the model made them.

        Raises ``ValueError`` for a tool that is not one of ``TOOLS`` (the model is never
        offered another) and a ``ProviderError`` when the provider fails."""
        offered = check_tools(tools)
        from krev.engines.openai_chat_loop import run_agent

        return run_agent(
            base_url=self.base_url,
            model=self.model,
            api_key=self._api_key,
            timeout=self.timeout,
            max_steps=self.max_steps,
            max_retries=self.max_retries,
            system_prompt=system_prompt,
            history=history,
            message=message,
            tools=offered,
            call_tool=call_tool,
        )


def check_tools(tools: Sequence[ToolSpec]) -> tuple[ToolSpec, ...]:
    """``tools`` as given, once each, when every one is one of ``TOOLS`` exactly (its name, its
    description, its schema); ``ValueError`` otherwise: the model is offered nothing else."""
    seen: set[str] = set()
    for spec in tools:
        if spec not in TOOLS:
            raise ValueError(
                f"{spec.name!r} is not one of the chat tools (krev.engines.chat.TOOLS) as "
                "declared there; the LLM is offered no other tool."
            )
        if spec.name in seen:
            raise ValueError(f"The tool {spec.name!r} is offered twice.")
        seen.add(spec.name)
    return tuple(tools)
