"""Account rules: users, password logins, dashboard sessions and API keys."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from krev.accounts import keys
from krev.accounts.repository import (
    ApiKeyRepository,
    DashboardSessionRepository,
    KeyOwner,
    UserRepository,
    find_key_owner,
)
from krev.accounts.schemas import MIN_PASSWORD_LENGTH
from krev.billing.service import open_first_period
from krev.errors import BadRequest, Conflict, NotFound, Unauthorized, WrongPassword
from krev.kit.clock import utcnow
from krev.models import USER_TAG, ApiKey, Cause, DashboardSession, User
from krev.platform.config import Settings
from krev.platform.readcache import ReadCache


@functools.lru_cache(maxsize=4)
def _password_hasher(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    # Verifying against a real hash for unknown emails keeps login timing the same.
    return hasher, hasher.hash("krev-dummy-password")


def _hasher(settings: Settings) -> tuple[PasswordHasher, str]:
    return _password_hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email:
        raise BadRequest(f"{email!r} is not a valid email address.")
    return email


def create_user(
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    plan: str | None = None,
    *,
    is_admin: bool = False,
) -> User:
    plan_id = plan or settings.default_plan
    if plan_id not in settings.plans:
        raise BadRequest(f"Unknown plan {plan_id!r}; plans are {', '.join(settings.plans)}.")
    _check_new_password(password)
    now = utcnow()
    user = User(
        email=normalise_email(email),
        password_hash=_hasher(settings)[0].hash(password),
        plan=plan_id,
        is_admin=is_admin,
        credits_balance=0,
        credits_resets_at=now,
        storage_used_bytes=0,
    )
    try:
        with session.begin_nested():
            UserRepository(session).add(user)
    except IntegrityError:
        raise Conflict(f"A user with the email {user.email} already exists.") from None
    open_first_period(session, user, settings.plan(plan_id), now)
    return user


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")


def find_user(session: Session, email: str) -> User:
    user = UserRepository(session).get_by_email(normalise_email(email))
    if user is None:
        raise NotFound(f"No user with the email {email.strip().lower()}.")
    return user


def check_password(session: Session, settings: Settings, email: str, password: str) -> User:
    user = UserRepository(session).get_by_email(email.strip().lower())
    hasher, dummy_hash = _hasher(settings)
    try:
        hasher.verify(user.password_hash if user else dummy_hash, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("Wrong email or password.")
    if hasher.check_needs_rehash(user.password_hash):  # the cost settings changed
        user.password_hash = hasher.hash(password)
    return user


def set_password(
    session: Session,
    settings: Settings,
    user: User,
    new_password: str,
    *,
    keep_session: uuid.UUID | None = None,
) -> int:
    """Replace the user's password and end their dashboard sessions, all but ``keep_session``
    (the one making the change): whoever knew the old password is logged out. Returns how
    many sessions were ended."""
    _check_new_password(new_password)
    user.password_hash = _hasher(settings)[0].hash(new_password)
    return DashboardSessionRepository(session).revoke_all(user.id, utcnow(), keep=keep_session)


def change_password(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    session_id: uuid.UUID | None,
) -> int:
    """A logged-in user's own change: proves the current password, then ``set_password``
    keeping the session that asked."""
    user = UserRepository(session).get(user_id)
    if user is None:
        raise Unauthorized("Your dashboard session has expired. Log in again.")
    try:
        _hasher(settings)[0].verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise WrongPassword() from None
    return set_password(session, settings, user, new_password, keep_session=session_id)


# --- API keys ---------------------------------------------------------------------------


def create_key(
    session: Session, settings: Settings, user_id: uuid.UUID, name: str, scopes: list[str]
) -> tuple[ApiKey, str]:
    """A new key for the user; the plaintext is returned here and never again."""
    plaintext = keys.generate_key()
    api_key = ApiKey(
        user_id=user_id,
        name=name,
        display_prefix=keys.display_prefix(plaintext),
        secret_hash=keys.hash_key(plaintext, settings.secret),
        scopes=list(scopes),
    )
    ApiKeyRepository(session).add(api_key)
    return api_key, plaintext


def list_keys(session: Session, user_id: uuid.UUID) -> list[ApiKey]:
    return ApiKeyRepository(session).list_for_user(user_id)


def revoke_key(session: Session, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
    if not ApiKeyRepository(session).revoke(key_id, user_id, utcnow()):
        raise NotFound("API key not found.")


def resolve_key(
    executor: Connection | Session,
    settings: Settings,
    presented: str,
    cache: ReadCache | None = None,
) -> KeyOwner:
    """The active key's owner, or 401. Malformed keys never reach the database.

    With a ``cache`` (the API process's, made current for this read) the owner comes from
    memory when this process read it before and nothing about the user has changed since
    (krev.platform.readcache): a revoked key, a new balance or a touched key drops it as the change
    commits.
    """
    if not keys.is_well_formed(presented):
        raise Unauthorized("Invalid API key: it is not a Krev key (sk_live_…); check for typos.")
    secret_hash = keys.hash_key(presented, settings.secret)
    if cache is None:
        owner = find_key_owner(executor, secret_hash)
    else:
        owner = cache.fetch(
            ("key", secret_hash),
            lambda: find_key_owner(executor, secret_hash),
            lambda found: USER_TAG(found.account.id),
        )
    if owner is None:
        raise Unauthorized("Invalid API key.")
    if owner.revoked_at is not None:
        raise Unauthorized("This API key has been revoked.")
    return owner


def key_needs_touch(owner: KeyOwner, now: datetime) -> bool:
    # Written at most once a minute per key so reads stay read-only on the hot path.
    return owner.last_used_at is None or now - owner.last_used_at > timedelta(seconds=60)


def touch_key(session: Session, key_id: uuid.UUID, user_id: uuid.UUID) -> None:
    ApiKeyRepository(session).touch(key_id, user_id, utcnow())


# --- Dashboard sessions -----------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    record: DashboardSession
    token: str
    csrf_token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(settings: Settings, session_token: str) -> str:
    """The CSRF token is bound to the session: an HMAC of its token under the server secret."""
    return hmac.new(settings.secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def open_session(session: Session, settings: Settings, user: User) -> NewSession:
    token = secrets.token_urlsafe(32)
    record = DashboardSession(
        user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(seconds=settings.session_ttl_seconds),
    )
    DashboardSessionRepository(session).add(record)
    return NewSession(record, token, csrf_token_for(settings, token))


def resolve_session(session: Session, token: str) -> tuple[DashboardSession, User] | None:
    return DashboardSessionRepository(session).find_active(_token_hash(token), utcnow())


def close_session(session: Session, session_id: uuid.UUID) -> None:
    DashboardSessionRepository(session).revoke(session_id, utcnow())


@dataclass(frozen=True)
class BootstrapCredentials:
    email: str
    password: str
    api_key: str


def bootstrap_admin(session: Session, settings: Settings) -> BootstrapCredentials | None:
    """On an empty database, an admin with a random password and an all-scope key."""
    if UserRepository(session).count() > 0:
        return None
    password = secrets.token_urlsafe(12)
    try:
        user = create_user(
            session,
            settings,
            settings.bootstrap_admin_email,
            password,
            settings.bootstrap_plan,
            is_admin=True,
        )
    except Conflict:  # another process bootstrapped first
        return None
    _, key = create_key(session, settings, user.id, "Bootstrap key", list(keys.SCOPES))
    return BootstrapCredentials(user.email, password, key)


# --- What a cause may still do ---------------------------------------------------------


def scopes_of_cause(session: Session, user_id: uuid.UUID, cause: Cause) -> frozenset[str] | None:
    """The scopes the key or dashboard session behind ``cause`` holds now, or None when it no
    longer may act (a revoked key, an ended session). Long work started by a caller (a chat
    run's tool calls) asks before each step: revocation is immediate."""
    if cause.api_key_id is not None:
        api_key = ApiKeyRepository(session).get_owned(cause.api_key_id, user_id)
        if api_key is None or api_key.revoked_at is not None:
            return None
        return frozenset(api_key.scopes)
    if cause.dashboard_session_id is not None:
        record = DashboardSessionRepository(session).get_owned(cause.dashboard_session_id, user_id)
        if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
            return None
        return frozenset(keys.SCOPES)
    return None
