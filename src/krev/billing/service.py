"""Credit rules: reserve on accept, refund exactly once, monthly resets, plan view.

Every move is written with its cause (``krev.models.cause``): a reservation and its refunds
carry the job's, a grant the admin's, a monthly reset or an opening balance the system's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from krev.billing.repository import LedgerRepository
from krev.errors import BadRequest, InsufficientCredits
from krev.kit.clock import isoformat, next_month_start, utcnow
from krev.kit.pagination import Page, PageRequest
from krev.models import AccountSnapshot, Cause, LedgerEntry, User
from krev.platform.config import Plan, Settings
from krev.platform.runtime import Runtime


def reserve_credits(
    session: Session,
    user_id: uuid.UUID,
    cost: int,
    generation_id: uuid.UUID,
    *,
    cause: Cause,
    generation_kind: str,
) -> int:
    """Take ``cost`` for a job being accepted (``cause``: the job's; ``generation_kind``: its
    kind, kept with the move); 402 when the balance does not cover it."""
    ledger = LedgerRepository(session)
    balance = ledger.debit_if_covered(user_id, cost)
    if balance is None:
        raise InsufficientCredits(
            f"Insufficient credits: this generation costs {cost:,} credits. "
            "Check your balance with GET /api/v1/credits."
        )
    ledger.record(
        user_id,
        "reservation",
        -cost,
        balance,
        generation_id,
        cause=cause,
        generation_kind=generation_kind,
    )
    return balance


def refund_credits(
    session: Session,
    user_id: uuid.UUID,
    amount: int,
    generation_id: uuid.UUID,
    kind: str = "refund",
    note: str | None = None,
    *,
    cause: Cause,
    generation_kind: str,
) -> bool:
    """Give ``amount`` back for a generation, once per (generation, kind); False if done before.

    ``cause`` and ``generation_kind`` are the generation's, whoever refunds it: the refund is
    part of that job, and one key's entries then add up to what that key spent."""
    if amount <= 0:
        return False
    ledger = LedgerRepository(session)
    if ledger.has_entry(generation_id, kind):
        return False
    try:
        with session.begin_nested():
            balance = ledger.credit(user_id, amount)
            ledger.record(
                user_id,
                kind,
                amount,
                balance,
                generation_id,
                note,
                cause=cause,
                generation_kind=generation_kind,
            )
    except IntegrityError:
        # A concurrent refund for the same generation won the unique (generation, kind).
        return False
    return True


def grant_credits(
    session: Session, user_id: uuid.UUID, amount: int, note: str | None = None, *, cause: Cause
) -> int:
    """Add credits (a grant) or, with a negative ``amount``, take them (an adjustment)."""
    if amount == 0:
        raise BadRequest("A grant must move at least one credit.")
    ledger = LedgerRepository(session)
    if amount > 0:
        balance = ledger.credit(user_id, amount)
    else:
        debited = ledger.debit_if_covered(user_id, -amount)
        if debited is None:
            raise BadRequest("The balance cannot go below zero.")
        balance = debited
    kind = "grant" if amount > 0 else "adjustment"
    ledger.record(user_id, kind, amount, balance, note=note, cause=cause)
    return balance


def open_first_period(session: Session, user: User, plan: Plan, now: datetime) -> None:
    """Give a new user the plan's monthly credits, written to the ledger (the system's doing,
    whoever created the account)."""
    ledger = LedgerRepository(session)
    ledger.start_period(user.id, plan.monthly_credits, next_month_start(now))
    if plan.monthly_credits:
        credits = plan.monthly_credits
        ledger.record(user.id, "monthly_reset", credits, credits, cause=Cause.system())
    session.refresh(user)


def roll_period_if_due(session: Session, settings: Settings, user_id: uuid.UUID) -> bool:
    """Start a new monthly period if the current one ended.

    The balance is topped up to the plan's monthly credits; credits above it (grants,
    purchases) are kept, so a reset never takes anything away. A reset is the calendar's
    doing (``system``), whichever request noticed the period had ended.
    """
    now = utcnow()
    ledger = LedgerRepository(session)
    user = ledger.lock_user(user_id)
    if user is None or user.credits_resets_at > now:
        return False
    plan = settings.plan(user.plan)
    # Read before start_period: its UPDATE also updates the loaded user in the session.
    old_balance = user.credits_balance
    new_balance = max(old_balance, plan.monthly_credits)
    resets_at = next_month_start(now)
    ledger.start_period(user.id, new_balance, resets_at)
    if new_balance != old_balance:
        delta = new_balance - old_balance
        ledger.record(user.id, "monthly_reset", delta, new_balance, cause=Cause.system())
    session.refresh(user)
    return True


def format_credits(amount: int) -> str:
    return f"{amount:,}"


def format_bytes(size: int) -> str:
    """Binary units with the reference's labels: 524288000 → '500 MB', 2147483648 → '2 GB'."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def credit_history(session: Session, user_id: uuid.UUID, page: PageRequest) -> Page[LedgerEntry]:
    return LedgerRepository(session).history(user_id, page)


# The generation kinds whose credits the usage view counts, and its name for each.
USAGE_KINDS = {"image": "images", "video": "videos", "ad": "ads"}
MAX_USAGE_DAYS = 90


def _usage(images: int = 0, videos: int = 0, ads: int = 0) -> dict[str, int]:
    return {"images": images, "videos": videos, "ads": ads, "total": images + videos + ads}


def credit_usage(session: Session, user_id: uuid.UUID, days: int, today: date) -> dict[str, Any]:
    """Credits used per UTC day over the ``days`` days that end with ``today``, by kind, with
    the part chat runs used; every day is listed, oldest first, those without use as zeros."""
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    found = LedgerRepository(session).usage_by_day(user_id, since, tuple(USAGE_KINDS))
    by_day: dict[str, dict[str, dict[str, int]]] = {
        (first + timedelta(days=n)).isoformat(): {"all": _usage(), "via_chat": _usage()}
        for n in range(days)
    }
    for row in found:
        day = by_day.get(row.day)
        if day is None:  # a reservation stamped after today by another machine's clock
            continue
        name = USAGE_KINDS[row.generation_kind]
        for part in ("all", "via_chat") if row.via_chat else ("all",):
            day[part][name] += row.credits
            day[part]["total"] += row.credits

    def summed(part: str) -> dict[str, int]:
        return _usage(
            **{
                name: sum(day[part][name] for day in by_day.values())
                for name in USAGE_KINDS.values()
            }
        )

    return {
        "days": days,
        "start": first.isoformat(),
        "end": today.isoformat(),
        "total": summed("all"),
        "via_chat": summed("via_chat"),
        "daily": [
            {"date": name, **day["all"], "via_chat": day["via_chat"]}
            for name, day in by_day.items()
        ],
    }


def credits_view(account: AccountSnapshot, plan: Plan) -> dict[str, Any]:
    """The reference's /credits shape for an account on its plan."""
    return {
        "plan": account.plan,
        "plan_name": plan.name,
        "credits": {
            "current": account.credits_balance,
            "limit": plan.monthly_credits,
            "current_formatted": format_credits(account.credits_balance),
            "limit_formatted": format_credits(plan.monthly_credits),
        },
        "storage": {
            "used_bytes": account.storage_used_bytes,
            "limit_bytes": plan.storage_bytes,
            "used_formatted": format_bytes(account.storage_used_bytes),
            "limit_formatted": format_bytes(plan.storage_bytes),
        },
        "resets_at": isoformat(account.credits_resets_at),
    }


def start_new_period(runtime: Runtime, account: AccountSnapshot) -> AccountSnapshot:
    """Roll the account into its new month if that is due, in a unit of work of its own (a
    read that finds the period over writes), and read the account back."""
    with runtime.db.transaction() as session:
        roll_period_if_due(session, runtime.settings, account.id)
        rolled = session.get(User, account.id)
        return AccountSnapshot.of(rolled) if rolled is not None else account
