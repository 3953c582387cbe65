"""``Idempotency-Key`` on the API's POSTs, as an ASGI middleware around the routes.

It sits inside the body-size limit (so the body it buffers is bounded) and inside the
request-context middleware (so replays get their own request id and rate-limit headers).
Only bearer-key requests are covered: the key's owner scopes the idempotency key. The owner
is the request's one identity (``krev.accounts.auth.identify``), resolved here and then
shared with the route, which does not look it up again.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from krev.accounts.auth import identify, only_authorization, parse_bearer
from krev.errors import BadRequest, Conflict, KrevError, PayloadTooLarge, Unauthorized
from krev.idempotency import service
from krev.platform.runtime import Runtime

HEADER = b"idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# The largest response kept for replay; the API's JSON answers are far smaller.
MAX_STORED_BODY = 1024 * 1024


class IdempotencyKeyReused(KrevError):
    status = 422
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used for a different request. Use a new key for a "
        "new request."
    )


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = (
        "A request with this Idempotency-Key is still being processed. Retry in a moment."
    )


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])  # lower-case names; the first of duplicates is lost
        raw_keys = [value for name, value in scope["headers"] if name == HEADER]
        bearer = _bearer([value for name, value in scope["headers"] if name == b"authorization"])
        if not raw_keys or bearer is None or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if len(raw_keys) > 1:  # which one the client meant is anyone's guess
            await _send_error(send, BadRequest("Send one Idempotency-Key header, not several."))
            return
        raw_key = raw_keys[0]
        key = raw_key.decode("latin-1").strip().strip('"')
        if not _KEY.match(key):
            await _send_error(
                send,
                BadRequest(
                    "The Idempotency-Key header must be 1 to 255 visible ASCII characters, "
                    "e.g. a UUID."
                ),
            )
            return
        try:
            body = await _read_body(receive)
        except PayloadTooLarge as error:  # over the body limit: the limit's own 413
            await _send_error(send, error)
            return
        try:
            principal = await identify(Request(scope))
        except KrevError:  # a bad key: the route answers it (the same refusal, kept)
            principal = None
        if principal is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        claim = await run_in_threadpool(
            self._claim, principal.user.id, key, _fingerprint(scope, headers, body), scope
        )
        if isinstance(claim, service.Replay):
            await _replay(send, claim)
        elif isinstance(claim, service.Mismatch):
            await _send_error(send, IdempotencyKeyReused())
        elif isinstance(claim, service.InProgress):
            await _send_error(send, IdempotencyInProgress(headers={"Retry-After": "1"}))
        else:
            await self._run_and_keep(scope, _replaying(body, receive), send, claim)

    def _claim(self, user_id: Any, key: str, fingerprint: str, scope: Scope) -> service.Claim:
        with self.runtime.db.transaction() as session:
            return service.claim(
                session,
                self.runtime.settings,
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                method=scope["method"],
                path=scope["path"],
            )

    async def _run_and_keep(
        self, scope: Scope, receive: Receive, send: Send, claim: service.Claimed
    ) -> None:
        status = 500
        response_headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    [bytes(name).decode("latin-1"), bytes(value).decode("latin-1")]
                    for name, value in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await run_in_threadpool(self._release, claim)
            raise
        body = b"".join(chunks)
        if _worth_keeping(status, body) and len(body) <= MAX_STORED_BODY:
            await run_in_threadpool(self._complete, claim, status, response_headers, body)
        else:
            await run_in_threadpool(self._release, claim)

    def _complete(
        self, claim: service.Claimed, status: int, headers: list[list[str]], body: bytes
    ) -> None:
        with self.runtime.db.transaction() as session:
            service.complete(session, claim.record_id, status, headers, body)

    def _release(self, claim: service.Claimed) -> None:
        with self.runtime.db.transaction() as session:
            service.release(session, claim.record_id)


def _worth_keeping(status: int, body: bytes) -> bool:
    """Successes, and failures of a job that was accepted (its body names the generation).

    Any other error means the request was refused before it did anything: nothing to
    protect from a repeat, and a retry after fixing the cause must be able to run.
    """
    if status < 400:
        return True
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "generation_id" in parsed


def _bearer(headers: list[bytes]) -> str | None:
    try:
        return parse_bearer(only_authorization([value.decode("latin-1") for value in headers]))
    except (Unauthorized, BadRequest):  # malformed or several: the route answers
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then whatever comes next: a disconnect

    return replay


def _fingerprint(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> str:
    """The request's identity: method, path, query and body.

    A multipart body's boundary is random per attempt, so it is taken out: the same upload
    retried by a client library fingerprints the same.
    """
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary:
        body = body.replace(boundary.group(1).encode("latin-1"), b"<boundary>")
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"], body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _replay(send: Send, replay: service.Replay) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in replay.headers]
    headers.append((REPLAYED_HEADER.encode(), b"true"))
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body})


async def _send_error(send: Send, error: KrevError) -> None:
    body = json.dumps(error.body()).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
