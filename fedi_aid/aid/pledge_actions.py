"""What happens when someone pledges, and when a group confirms, delivers, declines or cancels.

Confirmed and delivered pledges reduce the need's remaining quantity, moving it to partly met or
met and sending an `Update` (aid/publish.update_item). The need's row is locked first
(db/aid_items.lock_item), so concurrent pledges queue up and none is lost. A pledge beyond what
is still needed is confirmed all the same but recorded in `over_pledged`: the group decides.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.model import FINAL_STATUSES
from fedi_aid.aid.pledges import InvalidPledgeTransition, check_transition, remaining_change
from fedi_aid.aid.publish import AidError, update_item
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.aid_items import lock_item
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.models_pledges import Pledge
from fedi_aid.db.pledges import add_notification, find_pledge_by_uri, get_pledge
from fedi_aid.outbox.pledges import send_offer, send_offer_answer, send_reply, thanks_message


class PledgeError(AidError):
    """A pledge action that cannot be done; `status` is the HTTP status to answer."""


def _summary(pledge: Pledge, who: str) -> str:
    item = pledge.item
    if pledge.kind == "comment":
        return f"{who} commented on “{item.title}”: {pledge.text[:300]}"
    amount = format_decimal(pledge.quantity or Decimal(0))
    return f"{who} pledged {amount} {item.unit} to “{item.title}”"


async def record_incoming(
    session: AsyncSession,
    ctx: Context,
    item: AidItemRow,
    *,
    uri: str,
    pledger_uri: str,
    source: str,
    quantity: Decimal | None,
    text: str = "",
    now: datetime | None = None,
) -> Pledge | None:
    """Store a pledge (or, without a quantity, a comment) on one of our items; tell the admins.

    None when it was stored before (the same reply or Offer arriving twice).
    """
    now = now or utcnow()
    if await find_pledge_by_uri(session, uri) is not None:
        return None
    pledge = Pledge(
        uri=uri,
        item_id=item.id,
        group_id=item.group_id,
        pledger_uri=pledger_uri,
        direction="in",
        source=source,
        kind="pledge" if quantity is not None else "comment",
        state="proposed" if quantity is not None else "comment",
        quantity=quantity,
        unit=item.unit if quantity is not None else None,
        text=text[:5000],
        created_at=now,
        updated_at=now,
    )
    pledge.item = item
    session.add(pledge)
    await session.flush()
    kind = "pledge" if pledge.kind == "pledge" else "comment"
    await add_notification(session, item.group_id, kind, uri, _summary(pledge, pledger_uri), now)
    if source == "reply" and pledge.kind == "pledge":
        await send_reply(
            session, ctx, item.group, pledger_uri, uri, thanks_message(pledge, "proposed")
        )
    return pledge


async def pledge_locally(
    session: AsyncSession, ctx: Context, item: AidItemRow, pledger: str, quantity: Decimal
) -> Pledge:
    """A pledge typed in by an organiser (someone phoned in): our item, `pledger` a name."""
    if not item.local:
        raise PledgeError("pledge to another instance's item with `offer_to` instead", 409)
    if quantity <= 0:
        raise PledgeError("quantity must be greater than zero")
    uri = ctx.settings.url(f"/pledges/{secrets.token_urlsafe(12)}")
    pledge = await record_incoming(
        session, ctx, item, uri=uri, pledger_uri=pledger, source="local", quantity=quantity
    )
    assert pledge is not None  # a fresh uri
    return pledge


async def offer_to(
    session: AsyncSession, ctx: Context, group: Actor, item: AidItemRow, quantity: Decimal
) -> Pledge:
    """Our group pledges to a remote need with a FEP-0837 Offer; its group Accepts or Rejects."""
    if item.local:
        raise PledgeError("this item is published here; pledge to it directly", 409)
    if item.status in FINAL_STATUSES:
        raise PledgeError(f"this {item.kind} is {item.status}", 409)
    if quantity <= 0:
        raise PledgeError("quantity must be greater than zero")
    now = utcnow()
    uri = ctx.urls.activity("offer")
    pledge = Pledge(
        uri=uri,
        item_id=item.id,
        group_id=group.id,
        pledger_uri=group.uri,
        direction="out",
        source="offer",
        kind="pledge",
        state="proposed",
        quantity=quantity,
        unit=item.unit,
        text="",
        created_at=now,
        updated_at=now,
    )
    session.add(pledge)
    await session.flush()
    await send_offer(session, ctx, group, item, quantity, uri)
    return pledge


async def change_state(
    session: AsyncSession,
    ctx: Context,
    pledge_id: int,
    new_state: str,
    *,
    group_id: int | None = None,
    reason: str = "",
    notify: bool = True,
) -> Pledge:
    """Move a pledge along its lifecycle and keep the item's remaining quantity in step."""
    found = await get_pledge(session, pledge_id, group_id)
    row = await lock_item(session, found.item_id)  # every ledger change to this item waits here
    pledge = await get_pledge(session, pledge_id, group_id)  # re-read under the lock
    try:
        check_transition(pledge.state, new_state)
    except InvalidPledgeTransition as exc:
        raise PledgeError(str(exc), 409) from None
    if pledge.direction == "out" and new_state != "cancelled" and notify:
        raise PledgeError("the other group answers this pledge; you can only cancel it", 409)
    old_state = pledge.state
    pledge.state = new_state
    pledge.updated_at = utcnow()
    if pledge.direction == "in":
        await _apply_to_item(session, ctx, row, pledge, old_state, new_state)
        if notify:
            await _tell_pledger(session, ctx, pledge, new_state, reason)
    return pledge


async def _apply_to_item(
    session: AsyncSession,
    ctx: Context,
    row: AidItemRow,
    pledge: Pledge,
    old_state: str,
    new_state: str,
) -> None:
    quantity = pledge.quantity or Decimal(0)
    delta = remaining_change(old_state, new_state, quantity)
    if delta == 0:
        return
    open_ = row.status not in FINAL_STATUSES
    available = row.remaining if open_ else Decimal(0)
    if delta < 0:
        if quantity > available:
            pledge.over_pledged = quantity - available
        target = max(available - quantity, Decimal(0))
    else:
        back = quantity - (pledge.over_pledged or Decimal(0))
        target = min(row.remaining + back, row.quantity)
    if row.local and open_ and target != row.remaining:
        await update_item(session, ctx, row, {"remaining": target})


async def _tell_pledger(
    session: AsyncSession, ctx: Context, pledge: Pledge, new_state: str, reason: str
) -> None:
    if pledge.source == "reply":
        await send_reply(
            session,
            ctx,
            pledge.group,
            pledge.pledger_uri,
            pledge.uri,
            (reason + " " if reason else "") + thanks_message(pledge, new_state),
        )
    elif pledge.source == "offer":
        if new_state == "confirmed":
            await send_offer_answer(session, ctx, pledge, "Accept")
        elif new_state in ("declined", "cancelled") and pledge.agreement_uri is None:
            await send_offer_answer(session, ctx, pledge, "Reject", reason)
