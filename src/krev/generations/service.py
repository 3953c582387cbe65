"""Generation rules: accept (reserve + record + enqueue after commit), cancel, finish, delete,
view, and the events each status change leaves (the outbox; the repository writes them)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from krev.billing.service import refund_credits, reserve_credits, roll_period_if_due
from krev.errors import BadRequest, Conflict, MissingScope, NotFound, RateLimited
from krev.files.service import delete_generation_objects, record_objects
from krev.generations import repository
from krev.generations.pipelines import (
    get_pipeline,
    kinds_for_scopes,
    queue_priority,
    registered_kinds,
    scope_of,
)
from krev.generations.repository import (
    GenerationEventRepository,
    GenerationRepository,
    find_owned_record,
    queue_position,
)
from krev.kit.clock import isoformat, utcnow
from krev.kit.pagination import Page, PageRequest
from krev.models import GENERATION_TAG, Cause, Generation, GenerationEvent
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.config import Settings
from krev.platform.queue import TaskQueue
from krev.platform.readcache import ReadCache
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage, StoredObject

# The queue's name for running one generation (registered by krev.generations.tasks).
RUN_GENERATION = "krev.run_generation"
RESUME_GENERATION = "krev.resume_generation"
"""Runs a job again that waits on a provider (a poll, a retry), same attempt."""


class GenerationRecord(Protocol):
    """What views read: satisfied by the ORM ``Generation`` and by a Core row of its table."""

    id: uuid.UUID
    kind: str
    status: str
    progress: int
    output: dict[str, Any] | None
    error: str | None
    error_code: str | None
    credits_used: int
    queued_at: datetime
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    source: str
    api_key_id: uuid.UUID | None

    @property
    def prompt(self) -> str | None: ...  # read-only: an SQL expression, not a column


class TooManyJobs(RateLimited):
    code = "too_many_jobs"


# A job takes seconds to minutes; a client told to come back sooner would only be refused again.
TOO_MANY_JOBS_RETRY_AFTER = 10


def submit(
    session: Session,
    settings: Settings,
    queue: TaskQueue,
    *,
    user_id: uuid.UUID,
    kind: str,
    params: dict[str, Any],
    cost: int,
    cause: Cause,
    product_ids: Sequence[uuid.UUID] = (),
) -> Generation:
    """Accept a job: one record, its credits reserved, and the task sent after commit.

    ``cause`` is what asked for it (a key, a session…), recorded on the job and its credit
    moves; ``product_ids`` are the products the job is for, by which the list can be
    filtered."""
    if get_pipeline(kind) is None:
        raise ValueError(f"no pipeline registered for kind {kind!r}")
    if cost:
        # A period that ended pays from the new month's credits, not a 402.
        roll_period_if_due(session, settings, user_id)
    now = utcnow()
    generation = Generation(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        status="queued",
        params=params,
        credits_reserved=cost,
        credits_used=cost,
        queued_at=now,
        created_at=now,
        deadline_at=now + timedelta(seconds=settings.job_deadline_seconds),
        **cause.columns(),
    )
    repo = GenerationRepository(session)
    repo.accept(generation)
    repo.link_products(generation.id, product_ids)
    if cost:
        reserve_credits(session, user_id, cost, generation.id, cause=cause, generation_kind=kind)
    # Counted after the reservation, which locks the user's balance: two requests at once
    # count one after the other. The new job is among those counted.
    limit = settings.plan(_owner_plan(session, user_id)).max_active_jobs
    if repo.count_active(user_id) > limit:
        raise TooManyJobs(
            f"You have {limit} jobs queued or running, your plan's limit; wait for one to "
            "finish (GET /api/v1/generations?status=queued lists them) and send this again.",
            headers={"Retry-After": str(TOO_MANY_JOBS_RETRY_AFTER)},
        )
    queue.enqueue_after_commit(
        session, RUN_GENERATION, str(generation.id), priority=queue_priority(kind)
    )
    return generation


def get_owned(session: Session, user_id: uuid.UUID, generation_id: uuid.UUID) -> Generation:
    generation = GenerationRepository(session).get_owned(generation_id, user_id)
    if generation is None:
        raise NotFound("Generation not found.")
    return generation


class JobState(NamedTuple):
    status: str
    credits_used: int
    error: str | None


def states_of(
    session: Session, user_id: uuid.UUID, generation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, JobState]:
    """Where each of the user's generations stands, read together; one not found (deleted,
    or not the user's) is left out."""
    return {
        row.id: JobState(row.status, row.credits_used, row.error)
        for row in repository.find_owned_states(session, user_id, generation_ids)
    }


def get_owned_record(
    executor: Connection | Session,
    user_id: uuid.UUID,
    generation_id: uuid.UUID,
    cache: ReadCache | None = None,
) -> GenerationRecord:
    """Like ``get_owned``, as plain columns: for the polling path on the loop's connection.

    With a ``cache`` (the API process's, made current for this read), a started generation
    comes from memory until its next write (krev.platform.readcache). A queued one is always
    read: its view counts the queue ahead of it in the database anyway.
    """

    def load() -> tuple[uuid.UUID, Any] | None:
        row = find_owned_record(executor, generation_id, user_id)
        return None if row is None else (user_id, row)

    def tag(found: tuple[uuid.UUID, Any]) -> str | None:
        return None if found[1].status == "queued" else GENERATION_TAG(generation_id)

    found = load() if cache is None else cache.fetch(("generation", generation_id), load, tag)
    if found is None or found[0] != user_id:  # another user's id reads as missing
        raise NotFound("Generation not found.")
    return cast(GenerationRecord, found[1])


# A finished generation's view is kept whole, signed URLs included, for this share of the
# URLs' lifetime (at most a minute), so a URL handed out from memory still has at least
# 59/60 of its lifetime left.
VIEW_REUSE_SHARE = 1 / 60
VIEW_REUSE_MAX_SECONDS = 60.0
_PolledView = tuple[uuid.UUID, GenerationRecord, dict[str, Any]]  # (owner, record, view)


def poll_view(
    connection: Connection,
    user_id: uuid.UUID,
    generation_id: uuid.UUID,
    scopes: frozenset[str],
    storage: Storage,
    ttl: int,
    cache: ReadCache | None = None,
) -> dict[str, Any]:
    """``view`` of the caller's generation, for the polling path on the loop's connection.

    A finished generation no longer changes, and clients keep polling it: with a ``cache``,
    its view is built once and kept (under the generation's tag, so any write still drops
    it) for a small part of the signed URLs' lifetime.
    """

    def load() -> _PolledView:
        generation = get_owned_record(connection, user_id, generation_id, cache)
        return (user_id, generation, view(connection, generation, storage, ttl))

    def tag(found: _PolledView) -> str | None:
        return GENERATION_TAG(generation_id) if found[1].status in TERMINAL_STATUSES else None

    if cache is None:
        found = load()
    else:
        reuse = min(VIEW_REUSE_MAX_SECONDS, ttl * VIEW_REUSE_SHARE)
        # load() returns a view or raises NotFound, never None.
        found = cast(_PolledView, cache.fetch(("generation-view", generation_id), load, tag, reuse))
    owner, generation, body = found
    if owner != user_id:  # another user's id reads as missing
        raise NotFound("Generation not found.")
    check_scope(generation, scopes)
    return body


def generation_id(text: str) -> uuid.UUID:
    """A generation id as a client wrote it; one that cannot be an id names no generation."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("Generation not found.") from None


def poll(
    runtime: Runtime, user_id: uuid.UUID, text_id: str, scopes: frozenset[str]
) -> dict[str, Any]:
    """``poll_view`` of the caller's generation, read on the event loop's own connection:
    clients poll this in loops, and a thread round trip would cost more than the read."""
    wanted = generation_id(text_id)
    ttl = runtime.settings.signed_url_ttl_seconds

    def read(connection: Connection) -> dict[str, Any]:
        cache = runtime.cache.current_for(connection)
        return poll_view(connection, user_id, wanted, scopes, runtime.storage, ttl, cache)

    return runtime.db.run_on_loop(read)


def count_by_status(session: Session) -> dict[str, int]:
    """How many generations are in each status (a /metrics gauge)."""
    return repository.count_by_status(session)


def check_scope(generation: GenerationRecord, scopes: frozenset[str]) -> None:
    scope = scope_of(generation.kind)
    if scope is not None and scope not in scopes:
        raise MissingScope(f"This API key lacks the '{scope}' scope to read this generation.")


def list_owned(
    session: Session,
    user_id: uuid.UUID,
    scopes: frozenset[str],
    page: PageRequest,
    *,
    kind: str | None = None,
    status: str | None = None,
    product_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
) -> Page[Generation]:
    """A page of the caller's generations of the kinds their scopes cover, newest first,
    optionally of one kind, in one status, submitted for one of their products, or with one of
    their keys (another user's product or key matches none of the caller's generations: an
    empty page, never theirs)."""
    kinds = kinds_for_scopes(scopes)
    if kind is not None:
        known = registered_kinds()
        if kind not in known:
            raise BadRequest(
                f"Invalid query parameter 'kind': '{kind}' is not a generation kind; "
                f"use one of: {', '.join(known)}."
            )
        if kind not in kinds:
            raise MissingScope(
                f"This API key lacks the '{scope_of(kind)}' scope to list {kind} generations."
            )
        kinds = [kind]
    return GenerationRepository(session).page_for_user(
        user_id, kinds, page, status=status, product_id=product_id, api_key_id=api_key_id
    )


def cancel(session: Session, generation: Generation) -> Generation:
    """Cancel a queued job now (refunded); ask a running one to stop at its next step."""
    repo = GenerationRepository(session)
    if generation.status in TERMINAL_STATUSES:
        raise Conflict(f"The generation already {generation.status}; it cannot be cancelled.")
    if repo.cancel_if_queued(generation.id, utcnow()):
        refund_credits(
            session,
            generation.user_id,
            generation.credits_reserved,
            generation.id,
            note="cancelled",
            cause=generation.cause,
            generation_kind=generation.kind,
        )
    else:
        repo.request_cancel(generation.id)
    session.refresh(generation)
    return generation


def delete(
    session: Session,
    storage: Storage,
    user_id: uuid.UUID,
    generation_id: uuid.UUID,
    scopes: frozenset[str],
) -> int:
    """Delete the caller's finished generation: its outputs (and their renditions) go from
    storage once the transaction commits, their bytes are un-counted, and the record goes with
    its events; the credit moves it caused stay. Returns the bytes freed.

    Refused (409) while the job is queued or running: a running job's cancel is only a
    request, seen at its next step, and the outputs it may still store would outlive the
    record. The row stays locked to commit, so a second deletion (or the janitor's retention)
    waits and then finds nothing: the outputs are un-counted once."""
    generation = GenerationRepository(session).lock_owned(generation_id, user_id)
    if generation is None:
        raise NotFound("Generation not found.")
    check_scope(generation, scopes)
    if generation.status not in TERMINAL_STATUSES:
        raise Conflict(
            f"The generation is still {generation.status}: cancel it first (POST "
            f"/api/v1/generations/{generation.id}/cancel), then delete it once it has stopped."
        )
    return _delete(session, storage, generation)


def delete_finished_before(
    session: Session, storage: Storage, generation_id: uuid.UUID, before: datetime
) -> int | None:
    """Delete a generation as ``delete`` does if it finished before ``before`` (output
    retention); the bytes freed, or None when it is gone already (another janitor's)."""
    generation = GenerationRepository(session).lock_finished_before(generation_id, before)
    if generation is None:
        return None
    return _delete(session, storage, generation)


def _delete(session: Session, storage: Storage, generation: Generation) -> int:
    freed = delete_generation_objects(session, storage, generation.user_id, generation.id)
    GenerationRepository(session).remove(generation.id)
    return freed


def fail(
    session: Session,
    generation_id: uuid.UUID,
    message: str,
    code: str,
    *,
    attempt: int | None = None,
    status: str = "failed",
) -> bool:
    """Finish a job unsuccessfully and refund what it reserved, exactly once."""
    repo = GenerationRepository(session)
    values = {
        "status": status,
        "error": message,
        "error_code": code,
        "completed_at": utcnow(),
        "credits_used": 0,
    }
    generation = (
        repo.finish_attempt(generation_id, attempt, **values)
        if attempt is not None
        else repo.finish_if_active(generation_id, **values)
    )
    if generation is None:
        return False
    refund_credits(
        session,
        generation.user_id,
        generation.credits_reserved,
        generation_id,
        note=code,
        cause=generation.cause,
        generation_kind=generation.kind,
    )
    return True


def succeed(
    session: Session,
    settings: Settings,
    generation_id: uuid.UUID,
    attempt: int,
    files: Sequence[StoredObject],
    extra: dict[str, Any],
    credits_used: int | None,
    roles: Mapping[str, str] | None = None,
) -> bool:
    """Record outputs, count their storage and settle credits; False if the job was lost."""
    repo = GenerationRepository(session)
    generation = repo.get(generation_id)
    if generation is None:
        return False
    used = generation.credits_reserved if credits_used is None else credits_used
    used = max(0, min(used, generation.credits_reserved))
    output = {"files": [_file_entry(f, (roles or {}).get(f.key)) for f in files], **extra}
    finished = repo.finish_attempt(
        generation_id,
        attempt,
        status="succeeded",
        progress=100,
        output=output,
        credits_used=used,
        completed_at=utcnow(),
    )
    if finished is None:
        return False
    plan = settings.plan(_owner_plan(session, generation.user_id))
    record_objects(session, generation.user_id, files, plan.storage_bytes, generation_id)
    refund_credits(
        session,
        generation.user_id,
        generation.credits_reserved - used,
        generation_id,
        kind="partial_refund",
        cause=generation.cause,
        generation_kind=generation.kind,
    )
    return True


def _file_entry(stored: StoredObject, role: str | None) -> dict[str, str]:
    entry = {"key": stored.key, "content_type": stored.content_type}
    return entry if role is None else {**entry, "role": role}


def _owner_plan(session: Session, user_id: uuid.UUID) -> str:
    from krev.models import User

    user = session.get(User, user_id)
    assert user is not None
    return user.plan


def events_of(
    session: Session, user_id: uuid.UUID, generation_id: uuid.UUID, scopes: frozenset[str]
) -> list[GenerationEvent]:
    """The caller's generation's events, oldest first, on the rules of reading the generation
    itself: another user's is a 404, one of a kind the key's scopes do not cover a 403."""
    generation = get_owned(session, user_id, generation_id)
    check_scope(generation, scopes)
    return GenerationEventRepository(session).of_generation(generation.id)


def events_for_user(
    session: Session, user_id: uuid.UUID, page: PageRequest, *, after_id: int = 0
) -> Page[GenerationEvent]:
    """A page of the user's events after ``after_id``, oldest first: what an outbox reader
    (webhooks) follows, remembering the last id it handled. One user's events become
    visible in id order, so it misses none (docs/jobs.md)."""
    return GenerationEventRepository(session).for_user(user_id, page, after_id=after_id)


def output_urls(generation: GenerationRecord, storage: Storage, ttl: int) -> list[str]:
    """Signed URLs of the outputs, in order (files with a role, such as a poster, are not
    outputs: ``role_urls``)."""
    if not generation.output:
        return []
    files = generation.output.get("files", [])
    return [storage.signed_url(f["key"], ttl) for f in files if not f.get("role")]


def role_urls(generation: GenerationRecord, storage: Storage, ttl: int) -> dict[str, str]:
    """``<role>_url`` for each output file with a role (a video's ``poster_url``)."""
    files = (generation.output or {}).get("files", [])
    return {f"{f['role']}_url": storage.signed_url(f["key"], ttl) for f in files if f.get("role")}


def view(
    executor: Connection | Session, generation: GenerationRecord, storage: Storage, ttl: int
) -> dict[str, Any]:
    """The reference's generation shape, plus credits, queue position and what caused it
    (``source``: ``unknown`` for jobs from before causes were recorded)."""
    output: dict[str, Any] | None = None
    if generation.status == "succeeded":
        extra = {k: v for k, v in (generation.output or {}).items() if k != "files"}
        output = {
            "urls": output_urls(generation, storage, ttl),
            **role_urls(generation, storage, ttl),
            **extra,
        }
    position = (
        queue_position(executor, generation.queued_at) if generation.status == "queued" else None
    )
    return {
        "id": str(generation.id),
        "kind": generation.kind,
        "status": generation.status,
        "progress": generation.progress,
        "output": output,
        "error": generation.error,
        "error_code": generation.error_code,
        "credits_used": generation.credits_used if generation.status != "failed" else 0,
        "queue_position": position,
        "created_at": isoformat(generation.created_at),
        "started_at": isoformat(generation.started_at),
        "completed_at": isoformat(generation.completed_at),
        "source": generation.source,
        "api_key_id": str(generation.api_key_id) if generation.api_key_id else None,
        "prompt": generation.prompt,
    }


CREATIVE_KINDS = ("image", "video", "ad")


def recent_creative(session: Session, user_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
    """The user's latest succeeded images, videos and ads, newest first, as what was asked for
    (the prompt or brief, the shape, the style) without their files: what research into the
    account's own past creative reads."""
    found = GenerationRepository(session).recent_of_kinds(user_id, CREATIVE_KINDS, limit)
    return [
        {
            "generation_id": str(generation.id),
            "kind": generation.kind,
            "created_at": isoformat(generation.created_at),
            "prompt": generation.params.get("prompt") or generation.params.get("brief"),
            "aspect_ratio": generation.params.get("aspect_ratio"),
            "style_id": generation.params.get("style_id") or generation.params.get("preset_id"),
        }
        for generation in found
    ]
