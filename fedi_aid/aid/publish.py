"""What a group does with its own needs and offers: post, update, withdraw; and expiry."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.model import (
    FINAL_STATUSES,
    AidItem,
    InvalidTransition,
    Place,
    check_transition,
    next_status,
)
from fedi_aid.aid.rows import apply_item, row_to_item
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.aid_items import lock_item
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.outbox.aid import send_aid_create, send_aid_delete, send_aid_update


class AidError(ValueError):
    """A need/offer action that cannot be done. `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class AidDraft:
    """What a person types to post a need or an offer."""

    kind: str
    title: str
    category: str
    quantity: Decimal | int | float | str
    unit: str
    description: str = ""
    urgency: str = "normal"
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    expires_at: datetime | None = None
    visibility: str = "public"
    direct_to: tuple[str, ...] = field(default_factory=tuple)
    hop_budget: int | None = None
    content_warning: str | None = None
    requested_by: str | None = None


def _item_uri(ctx: Context, kind: str) -> str:
    return ctx.settings.url(f"/{kind}s/{secrets.token_urlsafe(9)}")


def _category(text: str) -> str:
    try:
        return resolve_category(text)
    except UnknownCategory as exc:
        raise AidError(f"category: {exc}") from None


def _place(draft: AidDraft) -> Place | None:
    if draft.place_name is None and draft.latitude is None and draft.longitude is None:
        return None
    return Place(draft.place_name or "", draft.latitude, draft.longitude, draft.radius_km)


# What the columns hold (db/models.py AidItemRow).
MAX_LENGTHS = {"title": 300, "unit": 64, "place_name": 300, "requested_by": 300}
MAX_QUANTITY = Decimal(10) ** 12


def check_limits(item: AidItem, requested_by: str | None = None) -> None:
    values = {
        "title": item.title,
        "unit": item.unit,
        "place_name": item.place.name if item.place else None,
        "requested_by": requested_by,
    }
    for name, value in values.items():
        if value is not None and len(value) > MAX_LENGTHS[name]:
            raise AidError(f"{name} is longer than {MAX_LENGTHS[name]} characters")
    for name, amount in (("quantity", item.quantity), ("remaining", item.remaining)):
        if amount is not None and (amount >= MAX_QUANTITY or amount.as_tuple().exponent < -4):  # type: ignore[operator]
            raise AidError(f"{name} must be below 10^12 with at most 4 decimals")


def build_item(ctx: Context, group: Actor, draft: AidDraft, now: datetime) -> AidItem:
    uri = _item_uri(ctx, draft.kind)
    try:
        item = AidItem(
            kind=draft.kind,
            uri=uri,
            title=draft.title.strip(),
            description=draft.description.strip(),
            category=_category(draft.category),
            quantity=draft.quantity,  # type: ignore[arg-type]
            unit=draft.unit.strip(),
            urgency=draft.urgency,
            place=_place(draft),
            expires_at=draft.expires_at,
            visibility=draft.visibility,
            direct_to=tuple(draft.direct_to),
            group_uri=group.uri,
            group_followers_url=group.followers_url,
            published=now,
            hop_budget=draft.hop_budget,
            content_warning=draft.content_warning or None,
            url=uri,
        )
    except ValueError as exc:
        if isinstance(exc, AidError):
            raise
        raise AidError(str(exc)) from None
    check_limits(item, draft.requested_by)
    if item.quantity <= 0:
        raise AidError("quantity must be greater than zero")
    if item.expires_at is not None and item.expires_at <= now:
        raise AidError("expires_at is in the past")
    return item


async def post_item(
    session: AsyncSession, ctx: Context, group: Actor, draft: AidDraft
) -> AidItemRow:
    if group.type != "Group" or not group.local:
        raise AidError("only a local group publishes needs and offers", 403)
    now = utcnow().replace(microsecond=0)  # the wire carries whole seconds
    if draft.expires_at is not None:
        draft = replace(draft, expires_at=draft.expires_at.replace(microsecond=0))
    item = build_item(ctx, group, draft, now)
    row = AidItemRow(
        uri=item.uri,
        local=True,
        group_id=group.id,
        requested_by=draft.requested_by,
        received_at=now,
    )
    apply_item(row, item)
    session.add(row)
    await session.flush()
    await send_aid_create(session, ctx, group, row)
    return row


# Fields a person may change after posting, and what they mean for the item.
EDITABLE = (
    "title",
    "description",
    "quantity",
    "remaining",
    "unit",
    "urgency",
    "place_name",
    "latitude",
    "longitude",
    "radius_km",
    "expires_at",
    "content_warning",
    "status",
    "category",
)


async def update_item(
    session: AsyncSession, ctx: Context, row: AidItemRow, changes: dict[str, Any]
) -> AidItemRow:
    """Apply changes, keep the lifecycle consistent, and send one Update.

    The row is locked and read afresh first: of two concurrent withdrawals, one finds the item
    already withdrawn (409) instead of both sending a Delete.
    """
    row = await lock_item(session, row.id)
    if not row.local:
        raise AidError("only the publishing instance can change this item", 403)
    if row.status in FINAL_STATUSES:
        raise AidError(f"this {row.kind} is {row.status} and can no longer change", 409)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise AidError(f"cannot change {', '.join(sorted(unknown))}")
    group = row.group
    current = row_to_item(row, group)
    now = utcnow().replace(microsecond=0)
    if isinstance(changes.get("expires_at"), datetime):
        changes = {**changes, "expires_at": changes["expires_at"].replace(microsecond=0)}
    try:
        updated = _changed_item(current, changes, now)
    except InvalidTransition as exc:
        raise AidError(str(exc), 409) from None
    except (ValueError, ArithmeticError) as exc:
        if isinstance(exc, AidError):
            raise
        raise AidError(str(exc)) from None
    check_limits(updated)
    status = updated.status
    if updated.expires_at is not None and updated.expires_at <= now and "expires_at" in changes:
        raise AidError("expires_at is in the past")
    apply_item(row, updated)
    row.updated = now
    if status in ("withdrawn", "expired"):
        await send_aid_delete(session, ctx, group, row, now)
    else:
        await send_aid_update(session, ctx, group, row)
    return row


def _changed_item(current: AidItem, changes: dict[str, Any], now: datetime) -> AidItem:
    """The item after `changes`, with a consistent lifecycle. Raises ValueError on bad values."""
    fields: dict[str, Any] = {}
    for name in ("title", "description", "unit", "urgency", "content_warning", "expires_at"):
        if name in changes:
            fields[name] = changes[name]
    if "category" in changes:
        fields["category"] = _category(changes["category"])
    if any(k in changes for k in ("place_name", "latitude", "longitude", "radius_km")):
        old = current.place or Place("")
        fields["place"] = Place(
            changes.get("place_name", old.name) or "",
            changes.get("latitude", old.latitude),
            changes.get("longitude", old.longitude),
            changes.get("radius_km", old.radius_km),
        )
    quantity = Decimal(str(changes.get("quantity", current.quantity)))
    remaining = Decimal(str(changes.get("remaining", current.remaining)))
    if quantity <= 0:
        raise ValueError("quantity must be greater than zero")
    if remaining < 0:
        raise ValueError(f"remaining must not be negative, got {remaining}")
    if "quantity" in changes and "remaining" not in changes:
        # A new total keeps what has already been met.
        met = current.quantity - (current.remaining or 0)
        remaining = max(quantity - met, Decimal(0))
    fields["quantity"], fields["remaining"] = quantity, remaining
    status = changes.get("status") or next_status(current.status, remaining, quantity)
    if status == "met" and current.kind == "need":
        fields["remaining"] = Decimal(0)
    if status != current.status:
        check_transition(current.status, status)
    return replace(current, **fields, status=status, updated=now)


async def withdraw_item(session: AsyncSession, ctx: Context, row: AidItemRow) -> AidItemRow:
    return await update_item(session, ctx, row, {"status": "withdrawn"})


async def expire_due_items(ctx: Context, now: datetime | None = None) -> int:
    """Local items past their expiry become expired (Delete sent); remote ones are dropped."""
    now = now or utcnow()
    due = (
        select(AidItemRow)
        .where(
            AidItemRow.status.in_(("open", "partly_met")),
            AidItemRow.expires_at.is_not(None),
            AidItemRow.expires_at <= now,
        )
        .limit(500)
    )
    count = 0
    async with ctx.sessions.begin() as session:
        for row in (await session.execute(due)).scalars().unique().all():
            count += 1
            if row.local:
                row.status = "expired"
                row.updated = now
                # Queued at the real time, whatever `now` the caller judged expiry by.
                await send_aid_delete(session, ctx, row.group, row)
            else:
                await session.delete(row)
    return count
