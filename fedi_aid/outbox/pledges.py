"""What a group says about pledges: a direct reply to the pledger, and FEP-0837 Offer/Accept/Reject.

The reply is a direct `Create{Note}` to the pledger that mentions them (outbox.replies).
FEP-0837: `Offer{Agreement{stipulates Commitment}}` goes to the need's group; its `Accept`
names the Offer by id and carries the finalised Agreement in `result`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.to_as import format_decimal, measure
from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.models_pledges import Pledge
from fedi_aid.outbox.queue import inbox_of, queue_activity
from fedi_aid.outbox.replies import send_direct_reply


async def send_reply(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    pledger_uri: str,
    in_reply_to: str,
    message: str,
) -> bool:
    """Queue the group's direct reply. False when the pledger is not a remote actor we know."""
    pledger = await find_actor_by_uri(session, pledger_uri)
    if pledger is None or pledger.local:
        return False
    note_id = await send_direct_reply(session, ctx, group, pledger, in_reply_to, escape(message))
    return note_id is not None


def commitment(
    intent_uri: str, quantity: Decimal, unit: str, commitment_id: str | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "Commitment",
        "satisfies": intent_uri,
        "resourceQuantity": measure(quantity, unit),
    }
    if commitment_id:
        doc = {"id": commitment_id, **doc}
    return doc


async def send_offer(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    item: AidItemRow,
    quantity: Decimal,
    offer_uri: str,
) -> None:
    """FEP-0837: our group offers to satisfy (part of) a remote item's primary intent."""
    owner = item.group
    activity = {
        "@context": CONTEXT,
        "id": offer_uri,
        "type": "Offer",
        "actor": group.uri,
        "to": [owner.uri],
        "object": {
            "type": "Agreement",
            "stipulates": commitment(f"{item.uri}#primary", quantity, item.unit),
        },
    }
    await queue_activity(session, group, activity, [inbox_of(owner)])  # type: ignore[list-item]
    ctx.wake_workers()


async def send_offer_answer(
    session: AsyncSession, ctx: Context, pledge: Pledge, verb: str, reason: str = ""
) -> None:
    """Accept (with the finalised Agreement as `result`) or Reject of a pledger's Offer."""
    group = pledge.group
    pledger = await find_actor_by_uri(session, pledge.pledger_uri)
    if pledger is None or pledger.local or not inbox_of(pledger):
        return
    activity: dict[str, Any] = {
        "@context": CONTEXT,
        "id": ctx.urls.activity(verb.lower()),
        "type": verb,
        "actor": group.uri,
        "to": [pledger.uri],
        "object": pledge.uri,
    }
    if verb == "Accept":
        agreement = pledge.agreement_uri or ctx.settings.url(
            f"/agreements/{secrets.token_urlsafe(12)}"
        )
        pledge.agreement_uri = agreement
        activity["result"] = {
            "id": agreement,
            "type": "Agreement",
            "stipulates": commitment(
                f"{pledge.item.uri}#primary",
                pledge.quantity or Decimal(0),
                pledge.unit or pledge.item.unit,
                f"{agreement}#primary",
            ),
        }
    elif reason:
        activity["content"] = escape(reason)
    await queue_activity(session, group, activity, [inbox_of(pledger)])  # type: ignore[list-item]
    ctx.wake_workers()


def thanks_message(pledge: Pledge, state: str) -> str:
    """What the group tells a person who pledged by reply, per state."""
    item = pledge.item
    amount = format_decimal(pledge.quantity or Decimal(0))
    what = f"{amount} {item.unit} for “{item.title}”"
    if state == "proposed":
        return f"Thank you! We noted your pledge of {what}. An organiser will confirm it soon."
    if state == "confirmed":
        return (
            f"Thank you! Your pledge of {what} is confirmed. An organiser will contact you "
            "about where and when to bring it."
        )
    if state == "delivered":
        return f"Received: {what}. Thank you for your help!"
    if state == "declined":
        return f"Thank you for offering {what}. We cannot use it right now."
    return f"Your pledge of {what} was cancelled."
