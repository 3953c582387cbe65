"""What the client raises. Every error is a ``KrevError``:

    KrevError
    ├── APIConnectionError          no answer (connection refused or lost), retries spent
    │   └── APITimeoutError         no answer in time
    ├── APIError                    an error answer: .status_code, .error, .code, .body
    │   ├── BadRequestError                 400
    │   ├── AuthenticationError             401
    │   ├── InsufficientCreditsError        402
    │   ├── PermissionDeniedError           403
    │   ├── NotFoundError                   404
    │   ├── MethodNotAllowedError           405
    │   ├── ConflictError                   409
    │   ├── PayloadTooLargeError            413
    │   ├── UnsupportedMediaTypeError       415
    │   ├── RangeNotSatisfiableError        416
    │   ├── UnprocessableEntityError        422
    │   ├── RateLimitError                  429 (.retry_after)
    │   └── ServerError                     5xx
    │       ├── InternalServerError         500
    │       └── ServiceUnavailableError     503
    ├── GenerationFailed            a job ended without its result: .generation_id
    │   └── GenerationCancelled
    ├── RunFailed                   a chat run ended without its result: .run
    │   └── RunCancelled
    └── WaitTimeout                 a job or run still going when the wait ran out

``error`` is the API's sentence and ``code`` its machine-readable code (``insufficient_credits``,
``subject_not_renderable``…): branch on ``code``, show ``error``.

An error answer that names a ``generation_id`` is a job that was accepted and then failed
(within the server's wait window): it raises ``GenerationFailed`` (``GenerationCancelled``
when the job was cancelled) whatever its HTTP status, and is never retried, since a retry
would answer the same failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from krev_client._retry import parse_retry_after

if TYPE_CHECKING:
    import httpx

    from krev_client.models import Generation, Run


class KrevError(Exception):
    """Anything the client raises."""


class APIConnectionError(KrevError):
    """The server could not be reached or hung up, and the retries are spent."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout, and the retries are spent."""


class APIError(KrevError):
    """An error answer: ``{"success": false, "error": "<sentence>", "code": "<code>"}``."""

    def __init__(
        self,
        error: str,
        *,
        code: str,
        status_code: int,
        body: dict[str, Any] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(f"{error} ({status_code} {code})")
        self.error = error
        self.code = code
        self.status_code = status_code
        self.body: dict[str, Any] = body or {}
        self.response = response

    @property
    def request_id(self) -> str | None:
        """The server's id for the request (``X-Request-ID``), for its logs."""
        if self.response is None:
            return None
        value: str | None = self.response.headers.get("x-request-id")
        return value


class BadRequestError(APIError):
    """400: missing or invalid parameters; ``error`` names the field."""


class AuthenticationError(APIError):
    """401: a missing, invalid or revoked API key."""


class InsufficientCreditsError(APIError):
    """402: not enough credits for the request; nothing was charged."""


class PermissionDeniedError(APIError):
    """403: the key lacks the scope, or the request is not allowed (a Meta mutation)."""


class NotFoundError(APIError):
    """404: no such resource of yours."""


class MethodNotAllowedError(APIError):
    """405."""


class ConflictError(APIError):
    """409: the resource's state forbids it now (a running job deleted, an ended run
    cancelled, a product still analyzing corrected)."""


class PayloadTooLargeError(APIError):
    """413: a body, an image or the plan's storage is over its limit."""


class UnsupportedMediaTypeError(APIError):
    """415: an image type the API does not take."""


class RangeNotSatisfiableError(APIError):
    """416."""


class UnprocessableEntityError(APIError):
    """422: e.g. an Idempotency-Key reused for a different request."""


class RateLimitError(APIError):
    """429: too many requests or jobs; the client retried as long as it was allowed to."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait, when it said."""
        if self.response is None:
            return None
        return parse_retry_after(self.response.headers.get("retry-after"))


class ServerError(APIError):
    """5xx: the server failed; the client retried as long as it was allowed to."""


class InternalServerError(ServerError):
    """500."""


class ServiceUnavailableError(ServerError):
    """503."""


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    416: RangeNotSatisfiableError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


def error_class(status_code: int) -> type[APIError]:
    if status_code in STATUS_ERRORS:
        return STATUS_ERRORS[status_code]
    return ServerError if status_code >= 500 else APIError


class GenerationFailed(KrevError):
    """A job (image, video, ad, product analysis) ended without its result.

    Raised by ``generate(...)``, ``products.upload(...)`` and ``generations.wait(...)``; never
    retried. ``generation`` is the job as ``GET /api/v1/generations/{id}`` showed it when the
    failure was seen while waiting, else None (the POST's own answer said so: then
    ``status_code`` is that answer's status).
    """

    def __init__(
        self,
        error: str,
        *,
        code: str,
        generation_id: str,
        status: str = "failed",
        status_code: int | None = None,
        body: dict[str, Any] | None = None,
        generation: Generation | None = None,
    ) -> None:
        super().__init__(f"{error} ({code}, generation {generation_id})")
        self.error = error
        self.code = code
        self.generation_id = generation_id
        self.status = status
        self.status_code = status_code
        self.body: dict[str, Any] = body or {}
        self.generation = generation

    @property
    def product_id(self) -> str | None:
        """The product whose analysis failed, for an upload."""
        value = self.body.get("product_id")
        return str(value) if value is not None else None


class GenerationCancelled(GenerationFailed):
    """The job was cancelled (by ``generations.cancel``, a product's deletion, a chat run's
    cancel) before it finished."""


class RunFailed(KrevError):
    """A chat run ended ``failed``; ``run`` is its last view (transcript, artifacts, error)."""

    def __init__(self, run: Run) -> None:
        reason = run.error or f"the run ended {run.status}"
        super().__init__(f"Chat run {run.run_id} {run.status}: {reason}")
        self.run = run
        self.run_id = run.run_id
        self.status = run.status
        self.error = reason


class RunCancelled(RunFailed):
    """The chat run was cancelled."""


class WaitTimeout(KrevError, TimeoutError):
    """A job or a chat run was still going when the wait ran out. It goes on on the
    server: wait again, or cancel it. ``last`` is its last view (a ``Generation`` or ``Run``)."""

    def __init__(self, message: str, *, id: str, last: Any) -> None:
        super().__init__(message)
        self.id = id
        self.last = last
