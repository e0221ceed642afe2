"""Pledges arriving by federation: replies to our needs, FEP-0837 Offers, and their answers."""

from __future__ import annotations

import logging
from typing import Any

from fedi_aid.activitypub.agreement_from_as import as_offer_to_commitment, reply_text
from fedi_aid.activitypub.from_as import BadAidObject
from fedi_aid.activitypub.normalize import id_of
from fedi_aid.aid.model import FINAL_STATUSES
from fedi_aid.aid.pledge_actions import change_state, record_incoming
from fedi_aid.aid.pledges import parse_reply_quantity
from fedi_aid.clock import utcnow
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.moderation import is_blocked
from fedi_aid.db.pledges import find_pledge_by_uri
from fedi_aid.inbox.handlers.answer_follow import handle_accept_follow, handle_reject_follow
from fedi_aid.inbox.handlers.base import HandlerContext
from fedi_aid.outbox.pledges import send_offer_answer

log = logging.getLogger(__name__)


async def handle_reply(h: HandlerContext, activity: dict[str, Any]) -> bool:
    """A Create{Note} answering one of our items: a pledge (a number) or a comment. True if so."""
    note = activity.get("object")
    if not isinstance(note, dict) or id_of(note.get("attributedTo")) != h.sender.uri:
        return False
    target = id_of(note.get("inReplyTo"))
    item = await find_item_by_uri(h.session, target) if target else None
    if item is None or not item.local or item.group_id == h.sender.id:
        return False
    if await is_blocked(h.session, h.sender.uri, h.sender.domain, item.group_id):
        return True  # the group blocked this person: dropped
    text = reply_text(note)
    parsed = parse_reply_quantity(text)
    if item.status in FINAL_STATUSES:
        parsed = parse_reply_quantity("")  # too late to count: kept as a comment
    await record_incoming(
        h.session,
        h.ctx,
        item,
        uri=str(note.get("id")),
        pledger_uri=h.sender.uri,
        source="reply",
        quantity=parsed.quantity,
        text=text,
        now=h.now,
    )
    return True


async def handle_offer(h: HandlerContext, activity: dict[str, Any]) -> None:
    """FEP-0837 Offer{Agreement}: a proposed pledge against one of our items."""
    try:
        offered = as_offer_to_commitment(activity)
    except BadAidObject as exc:
        log.info("ignoring a bad Offer from %s: %s", h.sender.uri, exc)
        return
    item = await find_item_by_uri(h.session, offered.proposal_uri)
    if item is None or not item.local:
        return
    if await is_blocked(h.session, h.sender.uri, h.sender.domain, item.group_id):
        return
    uri = str(activity["id"])
    pledge = await record_incoming(
        h.session,
        h.ctx,
        item,
        uri=uri,
        pledger_uri=h.sender.uri,
        source="offer",
        quantity=offered.quantity,
        now=h.now,
    )
    if pledge is None:
        return
    # FEP-0837: units must match the proposal's; the proposer commits or rejects.
    problem = None
    if offered.unit != item.unit:
        problem = f"the unit must be {item.unit!r}, not {offered.unit!r}"
    elif item.status in FINAL_STATUSES:
        problem = f"this {item.kind} is {item.status}"
    if problem is not None:
        pledge.state = "declined"
        pledge.updated_at = utcnow()
        await send_offer_answer(h.session, h.ctx, pledge, "Reject", problem)


async def _answer(h: HandlerContext, activity: dict[str, Any], accepted: bool) -> bool:
    """Accept/Reject of an Offer our group sent. False: not one of our Offers."""
    pledge = await find_pledge_by_uri(h.session, id_of(activity.get("object")) or "")
    if pledge is None or pledge.direction != "out":
        return False
    if pledge.item.group_id != h.sender.id:
        log.warning("refused an answer to %s from %s: not the proposer", pledge.uri, h.sender.uri)
        return True
    if pledge.state != "proposed":
        return True  # answered before
    if accepted:
        result = activity.get("result")
        pledge.agreement_uri = id_of(result) if result is not None else None
    await change_state(
        h.session, h.ctx, pledge.id, "confirmed" if accepted else "declined", notify=False
    )
    return True


async def handle_accept_offer_or_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    """`Accept` whose object is a bare id or an Offer: our FEP-0837 Offer, else our Follow."""
    if not await _answer(h, activity, accepted=True):
        await handle_accept_follow(h, activity)


async def handle_reject_offer_or_follow(h: HandlerContext, activity: dict[str, Any]) -> None:
    if not await _answer(h, activity, accepted=False):
        await handle_reject_follow(h, activity)
