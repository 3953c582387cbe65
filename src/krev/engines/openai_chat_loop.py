"""The pydantic-ai side of the LLM chat agent (``openai_chat``): Krev's chat tools as a
pydantic-ai toolset, one run of pydantic-ai's agent loop against an OpenAI-compatible API, and
its failures as ``ProviderError``s.

This module imports pydantic-ai, openai and jsonschema (the ``llm`` extra) when it is imported;
``openai_chat`` imports it only when a run starts, so the default install never needs them.

Why a toolset of our own rather than ``Tool.from_schema``: that one passes whatever JSON the
model wrote to the tool unchecked, and a model that writes a list or a string where an object
belongs would crash the run. Here the arguments must be a JSON object (pydantic-core checks,
and a failure goes back to the model as a retry), then must match the tool's JSON schema
(jsonschema checks, the same), before ``call_tool`` ever sees them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx2
from jsonschema import Draft202012Validator, FormatChecker
from pydantic_ai import Agent, ModelRetry, RunContext, capture_run_messages
from pydantic_ai.exceptions import (
    ContentFilterError,
    ModelAPIError,
    ModelConnectionError,
    ModelEmptyResponseError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelTimeoutError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool
from pydantic_ai.usage import UsageLimits
from pydantic_core import SchemaValidator, ValidationError, core_schema

from krev.engines.chat import ToolCall, ToolOutcome, ToolSpec
from krev.engines.openai_chat import AgentStop, AgentTranscript, CallTool, ChatRole
from krev.engines.openai_errors import error_message_detail
from krev.engines.providers import (
    ContentRefused,
    InvalidRequest,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TemporarilyUnavailable,
)

__all__ = ["ChatToolset", "run_agent"]

_MAX_PROBLEMS = 3  # schema problems told to the model for one call
_MAX_PROBLEM = 200  # characters of one problem (jsonschema quotes the offending value)

# A tool's arguments: a JSON object. Anything else (not JSON, a list, a string) is a
# ValidationError the tool manager answers the model with, as a retry.
_OBJECT = SchemaValidator(core_schema.dict_schema(keys_schema=core_schema.str_schema()))


class ChatToolset(AbstractToolset[None]):  # type: ignore[misc]  # pydantic-ai: the llm extra
    """The chat tools offered to the model: exactly ``specs``, each called through
    ``call_tool`` with arguments that match its schema. ``steps`` records the calls that ran."""

    def __init__(self, specs: Sequence[ToolSpec], call_tool: CallTool, max_retries: int) -> None:
        self._specs: dict[str, ToolSpec] = {spec.name: spec for spec in specs}
        self._checkers: dict[str, Draft202012Validator] = {
            spec.name: Draft202012Validator(dict(spec.parameters), format_checker=FormatChecker())
            for spec in specs
        }
        self._call_tool = call_tool
        self._max_retries = max_retries
        self.steps: list[ToolOutcome] = []

    @property
    def id(self) -> str:
        return "krev-chat-tools"

    async def get_tools(self, ctx: RunContext[None]) -> dict[str, ToolsetTool[None]]:
        return {
            name: ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(
                    name=name,
                    description=spec.description,
                    parameters_json_schema=dict(spec.parameters),
                    # Calls run one at a time, in the model's order: a tool spends credits,
                    # and the next call may depend on what the last one spent.
                    sequential=True,
                    # Never OpenAI's strict mode (pydantic-ai would turn it on for the tools whose
                    # schema allows it): every server gets the same tools, exactly as declared,
                    # and the arguments are checked here whoever the model is.
                    strict=False,
                ),
                max_retries=self._max_retries,
                args_validator=_OBJECT,
                args_validator_func=self._schema_check(name),
            )
            for name, spec in self._specs.items()
        }

    def _schema_check(self, name: str) -> Callable[..., None]:
        checker = self._checkers[name]

        def check(ctx: RunContext[None], **args: Any) -> None:
            problems = [
                f"at {error.json_path}: {error.message}"[:_MAX_PROBLEM]
                for error in sorted(checker.iter_errors(args), key=lambda e: e.json_path)
            ]
            if problems:
                raise ModelRetry(
                    f"The arguments do not match the schema of {name}: "
                    + "; ".join(problems[:_MAX_PROBLEMS])
                    + ". Fix them and call the tool again."
                )

        return check

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[None], tool: ToolsetTool[None]
    ) -> Any:
        # Called inline, not in a worker thread: the caller's call_tool runs in the caller's
        # thread (its database session lives there), and the loop has nothing else to do.
        outcome = self._call_tool(ToolCall(self._specs[name].name, tool_args))
        self.steps.append(outcome)
        if outcome.error is not None:
            # An error is an answer the model reads, not a retry: the run goes on.
            error = {"error": outcome.error}
            return (
                error if outcome.error_code is None else {**error, "error_code": outcome.error_code}
            )
        return dict(outcome.result or {})


def run_agent(
    *,
    base_url: str,
    model: str,
    api_key: str | None,
    timeout: float,
    max_steps: int,
    max_retries: int,
    system_prompt: str,
    history: Sequence[tuple[ChatRole, str]],
    message: str,
    tools: Sequence[ToolSpec],
    call_tool: CallTool,
) -> AgentTranscript:
    """One run in an event loop of its own (``asyncio.run``), in the calling thread."""
    toolset = ChatToolset(tools, call_tool, max_retries)

    async def run() -> AgentTranscript:
        # An HTTP client per run: it belongs to this run's event loop. No environment proxies:
        # the base URL is operator configuration and means exactly what it says.
        async with httpx2.AsyncClient(timeout=timeout, trust_env=False) as http:
            provider = OpenAICompatibleProvider(
                "openai-compatible", base_url=base_url, api_key=api_key, http_client=http
            )
            agent = Agent(
                OpenAIChatModel(model, provider=provider),
                instructions=system_prompt,
                toolsets=[toolset],
                output_type=str,
                retries=max_retries,
                name="krev-chat",
            )
            settings = ModelSettings(
                timeout=timeout,
                # The job that runs the agent retries transient failures with its own backoff.
                max_retries=0,
            )
            earlier = _history(history)
            with (
                capture_run_messages() as messages,
                Agent.parallel_tool_call_execution_mode("sequential"),
            ):
                try:
                    result = await agent.run(
                        message,
                        message_history=earlier,
                        model_settings=settings,
                        usage_limits=UsageLimits(request_limit=max_steps),
                    )
                except UsageLimitExceeded:
                    note = f"The agent reached its limit of {max_steps} model requests."
                    return _transcript("", toolset, messages[len(earlier) :], "step_limit", note)
                except UnexpectedModelBehavior as error:
                    if not _malformed(error):
                        raise
                    note = "The model kept calling a tool with unusable arguments."
                    return _transcript(
                        "", toolset, messages[len(earlier) :], "malformed_calls", note
                    )
            return _transcript(result.output.strip(), toolset, result.new_messages(), "answered")

    try:
        return asyncio.run(run())
    except ModelAPIError as error:
        raise provider_error(error, api_key, timeout) from error
    except ContentFilterError as error:
        raise ContentRefused("The chat LLM's safety system refused to answer.") from error
    except UnexpectedModelBehavior as error:
        raise InvalidRequest(
            f"The chat LLM answered with something that is not a usable reply ({error.message})."
        ) from error


def _malformed(error: UnexpectedModelBehavior) -> bool:
    """The run ended because a tool's arguments failed their checks more times in a row than
    allowed (pydantic-ai raises from the last check's error)."""
    return not isinstance(error, ModelAPIError) and isinstance(
        error.__cause__, ValidationError | ModelRetry
    )


def _history(history: Sequence[tuple[ChatRole, str]]) -> list[ModelMessage]:
    messages: list[ModelMessage] = []
    for role, text in history:
        if role == "user":
            messages.append(ModelRequest(parts=[UserPromptPart(content=text)]))
        elif role == "assistant":
            messages.append(ModelResponse(parts=[TextPart(content=text)]))
        else:
            raise ValueError(f"Unknown role {role!r} in the chat history (user or assistant).")
    return messages


def _transcript(
    text: str,
    toolset: ChatToolset,
    messages: Sequence[ModelMessage],
    stopped: AgentStop,
    note: str | None = None,
) -> AgentTranscript:
    """The run's transcript from its own messages (the history it was given left out)."""
    rejected = sum(
        1
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart) and part.outcome == "retried"
    )
    notes = [note] if note else []
    if rejected:
        calls = "call" if rejected == 1 else "calls"
        notes.append(f"{rejected} tool {calls} with unusable arguments went back to the model.")
    return AgentTranscript(
        text=text,
        steps=tuple(toolset.steps),
        stopped=stopped,
        notes=tuple(notes),
        model_requests=sum(1 for message in messages if isinstance(message, ModelResponse)),
        rejected_calls=rejected,
    )


def provider_error(error: ModelAPIError, api_key: str | None, timeout: float) -> ProviderError:
    """The typed provider error for what pydantic-ai says went wrong with the model API, with
    the same words and kinds as the copy LLM's (``openai_copy``)."""
    if isinstance(error, ModelHTTPError):
        return _http_error(error, api_key)
    if isinstance(error, ModelTimeoutError | ModelRequestTimeout):
        return ProviderTimeout(f"The chat LLM did not answer within {timeout:g} s.")
    if isinstance(error, ModelRateLimitError):
        return RateLimited("The chat LLM is rate limiting requests.", retry_after=error.retry_after)
    if isinstance(error, ModelConnectionError):
        return TemporarilyUnavailable(
            f"The chat LLM could not be reached ({type(_root_cause(error)).__name__})."
        )
    if isinstance(error, ModelEmptyResponseError):
        return TemporarilyUnavailable("The chat LLM sent an empty response.")
    return InvalidRequest("The chat LLM's response is not a usable chat completion.")


def _http_error(error: ModelHTTPError, api_key: str | None) -> ProviderError:
    status = error.status_code
    detail = error_message_detail(_decoded(error.body), api_key)
    said = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        return RateLimited(
            f"The chat LLM is rate limiting requests ({said}).", retry_after=error.retry_after
        )
    if status in (401, 403):
        return InvalidRequest(
            f"The chat LLM refused the server's API key (HTTP {status}); the operator must "
            "check KREV_LLM_API_KEY."
        )
    if status == 408:
        return ProviderTimeout(f"The chat LLM timed out ({said}).")
    if status == 409 or status >= 500:
        return TemporarilyUnavailable(
            f"The chat LLM is temporarily unavailable ({said}).", retry_after=error.retry_after
        )
    return InvalidRequest(f"The chat LLM refused the request ({said}).")


def _root_cause(error: BaseException) -> BaseException:
    """The transport's own error (a refused connection) under the SDK's wrappers."""
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    return error


def _decoded(body: object) -> object:
    if isinstance(body, str | bytes):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return body
