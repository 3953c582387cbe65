"""Domain errors. Each carries the HTTP status and machine code it renders as.

    KrevError (500 internal_error)
    ├── BadRequest (400 invalid_request)
    ├── Unauthorized (401 unauthorized)
    │   └── SessionRequired (401 session_required)
    ├── InsufficientCredits (402 insufficient_credits)
    ├── Forbidden (403 forbidden)
    │   ├── MissingScope (403 insufficient_scope)
    │   ├── CsrfFailed (403 csrf_failed)
    │   └── WrongPassword (403 wrong_password)
    ├── NotFound (404 not_found)
    ├── MethodNotAllowed (405 method_not_allowed)
    ├── Conflict (409 conflict)
    ├── PayloadTooLarge (413 payload_too_large)
    │   └── StorageQuotaExceeded (413 storage_quota_exceeded)
    ├── UnsupportedMediaType (415 unsupported_media_type)
    ├── RangeNotSatisfiable (416 range_not_satisfiable)
    ├── RateLimited (429 rate_limited, with Retry-After)
    ├── GenerationFailed (500 generation_failed)
    └── ServiceUnavailable (503 service_unavailable)

Services raise these; one handler in ``krev.app`` renders the envelope
``{"success": false, "error": message, "code": code}``. Nothing else raises HTTPException.

The errors of each domain and of the platform derive from these, so every refusal anywhere is
one of them. Two families group the refusals of an input that are also one of the kinds above
(a subclass names the family and its kind, e.g. ``FetchTimeout(FetchError, BadRequest)``):

    FetchError (krev.platform.fetch: a user-supplied URL)
        UrlNotAllowed, InvalidDataUrl, FetchTimeout, FetchFailed (400); FetchTooLarge (413)
    ImageRejected (krev.platform.imaging: an image in)
        InvalidImage (400); ImageTooLarge (413); UnsupportedImageType (415)
"""

from __future__ import annotations

from typing import Any, ClassVar


class KrevError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "An unexpected error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        # A message may quote the request (an unknown field's name): half a surrogate pair
        # there, which JSON's \u escapes can spell, would make the error itself fail to render.
        self.message = (message or self.default_message).encode(errors="backslashreplace").decode()
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.message, "code": self.code, **self.extra}


class BadRequest(KrevError):
    status = 400
    code = "invalid_request"
    default_message = "The request is invalid."


class Unauthorized(KrevError):
    status = 401
    code = "unauthorized"
    default_message = "Missing or invalid API key."


class SessionRequired(Unauthorized):
    code = "session_required"
    default_message = (
        "This endpoint uses your logged-in dashboard session, not an API key. "
        "Log in with POST /api/v1/auth/login."
    )


class InsufficientCredits(KrevError):
    status = 402
    code = "insufficient_credits"
    default_message = "Insufficient credits for the requested generation."


class Forbidden(KrevError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class MissingScope(Forbidden):
    code = "insufficient_scope"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = (
        "Missing or invalid CSRF token: send the X-CSRF-Token header you got at login."
    )


class WrongPassword(Forbidden):
    code = "wrong_password"
    default_message = "The current password is not correct; the password was not changed."


class NotFound(KrevError):
    status = 404
    code = "not_found"
    default_message = "Resource not found."


class MethodNotAllowed(KrevError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this endpoint."


class Conflict(KrevError):
    status = 409
    code = "conflict"
    default_message = "The resource is in a state that does not allow this."


class PayloadTooLarge(KrevError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class StorageQuotaExceeded(PayloadTooLarge):
    code = "storage_quota_exceeded"
    default_message = "Your plan's storage is full. Delete files or upgrade your plan."


class UnsupportedMediaType(KrevError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Unsupported content type."


class RangeNotSatisfiable(KrevError):
    status = 416
    code = "range_not_satisfiable"
    default_message = "The requested range is outside the file."


class RateLimited(KrevError):
    status = 429
    code = "rate_limited"
    default_message = "Rate limit exceeded. Wait and retry."


class GenerationFailed(KrevError):
    status = 500
    code = "generation_failed"
    default_message = "The generation failed. Credits were refunded."


class ServiceUnavailable(KrevError):
    status = 503
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable."
