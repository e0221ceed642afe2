"""Pledges: free-text replies, the lifecycle, FEP-0837 Offer/Accept/Reject, concurrency."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from fedi_aid.aid.pledge_actions import PledgeError, change_state, offer_to, pledge_locally
from fedi_aid.aid.pledges import (
    InvalidPledgeTransition,
    check_transition,
    parse_reply_quantity,
    remaining_change,
)
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.models_pledges import Notification, Pledge
from tests.harness import settle
from tests.peers import MastodonPeer


@pytest.mark.parametrize(
    ("text", "quantity", "unit"),
    [
        ("I can bring 5 pens tomorrow", 5, "pens"),
        ("5", 5, None),
        ("five", 5, None),
        ("Five!", 5, None),
        ("@riverside@aid.example I can bring 5", 5, None),
        ("I have 2.5 kg of rice", Decimal("2.5"), "kg"),
        ("A dozen eggs", 12, "eggs"),
    ],
)
def test_reply_with_one_plain_number_is_a_pledge(text: str, quantity, unit) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_reply_quantity(text)
    assert parsed.quantity == Decimal(quantity) and parsed.unit_word == unit


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thank you, I will ask around",
        "2 boxes of 10",
        "3 or 4",
        "5-6 pens",
        "I'll come at 5:30",
        "tomorrow at 10am, 20 pens",
        "I can give $5",
        "1,5 litres",
        "0",
    ],
)
def test_doubtful_replies_are_comments(text: str) -> None:
    assert parse_reply_quantity(text).quantity is None


def test_pledge_lifecycle_as_data() -> None:
    check_transition("proposed", "confirmed")
    check_transition("confirmed", "delivered")
    check_transition("proposed", "declined")
    check_transition("confirmed", "cancelled")
    for bad in [("delivered", "cancelled"), ("declined", "confirmed"), ("proposed", "delivered")]:
        with pytest.raises(InvalidPledgeTransition):
            check_transition(*bad)
    with pytest.raises(InvalidPledgeTransition, match="comment"):
        check_transition("comment", "confirmed")
    assert remaining_change("proposed", "confirmed", Decimal(5)) == Decimal(-5)
    assert remaining_change("confirmed", "delivered", Decimal(5)) == 0
    assert remaining_change("confirmed", "cancelled", Decimal(5)) == Decimal(5)


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    await peer.start()
    yield peer
    await peer.stop()


async def _pledges(instance, **where):  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        query = select(Pledge).order_by(Pledge.id)
        for name, value in where.items():
            query = query.where(getattr(Pledge, name) == value)
        return list((await session.execute(query)).scalars().unique().all())


async def _confirm(instance, pledge_id: int, state: str = "confirmed"):  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions.begin() as session:
        return await change_state(session, instance.ctx, pledge_id, state)


async def test_mastodon_reply_becomes_a_pledge_and_confirmation_updates_every_copy(
    make_instance, peer
) -> None:
    a = await make_instance()
    b = await make_instance()
    group = await a.create_group("riverside")
    await b.create_group("hilltown")
    await b.follow("hilltown", a.handle("riverside"))
    await settle(a, b)
    need = await a.post("riverside", quantity=20, unit="pens")
    await settle(a, b)
    assert (await b.item(need.uri)).remaining == Decimal(20)

    alice = peer.actors["alice"]
    name = f"@riverside@{a.host}"
    reply = peer.reply_activity(alice, need.uri, "I can bring 5", group.uri, name)
    status, _ = await peer.post(alice, f"{a.base_url}/inbox", reply)
    assert status == 202
    comment = peer.reply_activity(alice, need.uri, "Thank you, I will ask around", group.uri, name)
    assert (await peer.post(alice, f"{a.base_url}/inbox", comment))[0] == 202
    await settle(a, b)

    [pledge] = await _pledges(a, kind="pledge")
    assert (pledge.quantity, pledge.unit, pledge.state) == (Decimal(5), "pens", "proposed")
    assert pledge.pledger_uri == alice.uri and pledge.uri == reply["object"]["id"]
    [kept] = await _pledges(a, kind="comment")
    assert kept.quantity is None and "ask around" in kept.text
    async with a.ctx.sessions() as session:
        kinds = sorted((await session.execute(select(Notification.kind))).scalars())
    assert kinds == ["comment", "follow", "pledge"]  # the follow: hilltown's
    assert (await a.item(need.uri)).remaining == Decimal(20)  # proposed does not count yet

    # The group's answer: a direct reply that mentions alice, so Mastodon notifies her.
    [thanks] = peer.activities("Create")
    note = thanks["object"]
    assert note["to"] == [alice.uri] and note["cc"] == []
    assert note["inReplyTo"] == reply["object"]["id"]
    assert {"type": "Mention", "href": alice.uri, "name": f"@alice@{peer.host}"} in note["tag"]
    assert "5 pens" in note["content"]

    await _confirm(a, pledge.id)
    await settle(a, b)
    for instance in (a, b):
        held = await instance.item(need.uri)
        assert held.remaining == Decimal(15) and held.status == "partly_met"
    confirmed = peer.activities("Create")[-1]["object"]
    assert "confirmed" in confirmed["content"] and confirmed["to"] == [alice.uri]

    with pytest.raises(PledgeError, match="comment"):
        await _confirm(a, kept.id)


async def test_fep0837_offer_accept_and_reject_between_two_instances(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    await a.create_group("riverside")
    await b.create_group("hilltown")
    await b.follow("hilltown", a.handle("riverside"))
    await settle(a, b)
    need = await a.post("riverside", quantity=20, unit="pens")
    await settle(a, b)

    async def offer(quantity: int) -> Pledge:
        async with b.ctx.sessions.begin() as session:
            group = await b._actor_in(session, "hilltown")
            item = await find_item_by_uri(session, need.uri)
            return await offer_to(session, b.ctx, group, item, Decimal(quantity))

    sent = await offer(5)
    await settle(a, b)
    [received] = await _pledges(a)
    assert received.source == "offer" and received.state == "proposed"
    assert received.uri == sent.uri and received.quantity == Decimal(5)

    await _confirm(a, received.id)
    await settle(a, b)
    [ours] = await _pledges(b)
    assert ours.state == "confirmed" and ours.agreement_uri is not None
    assert ours.agreement_uri.startswith(a.base_url + "/agreements/")
    assert (await a.item(need.uri)).remaining == Decimal(15)
    assert (await b.item(need.uri)).remaining == Decimal(15)

    second = await offer(3)
    await settle(a, b)
    received_second = (await _pledges(a, uri=second.uri))[0]
    await _confirm(a, received_second.id, "declined")
    await settle(a, b)
    assert (await _pledges(b, uri=second.uri))[0].state == "declined"
    assert (await a.item(need.uri)).remaining == Decimal(15)
    assert (await b.item(need.uri)).remaining == Decimal(15)

    # An Offer in another unit is rejected at once (FEP-0837: units must match).
    async with b.ctx.sessions.begin() as session:
        item = await find_item_by_uri(session, need.uri)
        item.unit = "boxes"  # as if the copy were stale
    third = await offer(1)
    await settle(a, b)
    assert (await _pledges(a, uri=third.uri))[0].state == "declined"
    assert (await _pledges(b, uri=third.uri))[0].state == "declined"


async def test_fifty_concurrent_pledges_against_a_need_of_twenty(make_instance) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    need = await a.post("riverside", quantity=20, unit="pens")

    async def pledge_and_confirm(n: int) -> None:
        async with a.ctx.sessions.begin() as session:
            item = await find_item_by_uri(session, need.uri)
            pledge = await pledge_locally(session, a.ctx, item, f"caller {n}", Decimal(1))
        await _confirm(a, pledge.id)

    await asyncio.gather(*(pledge_and_confirm(n) for n in range(50)))
    pledges = await _pledges(a)
    assert len(pledges) == 50 and all(p.state == "confirmed" for p in pledges)
    flagged = [p for p in pledges if p.over_pledged]
    assert len(flagged) == 30 and sum(p.over_pledged for p in flagged) == Decimal(30)
    held = await a.item(need.uri)
    assert held.remaining == Decimal(0) and held.status == "met"


async def test_pledges_through_the_api(make_instance) -> None:
    import aiohttp

    from fedi_aid.clock import utcnow
    from fedi_aid.db.tokens import create_token

    a = await make_instance()
    await a.create_group("riverside")
    await a.create_group("hilltop")
    need = await a.post("riverside", quantity=20, unit="pens")
    tokens = {}
    async with a.ctx.sessions.begin() as session:
        for name in ("riverside", "hilltop"):
            group = await a._actor_in(session, name)
            tokens[name] = await create_token(session, group, "t", utcnow())
    base = f"{a.base_url}/api/aid/v1"

    async def call(method: str, path: str, token: str | None = "riverside", body=None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {tokens[token]}"} if token else {}
        async with aiohttp.ClientSession() as http:
            async with http.request(method, base + path, json=body, headers=headers) as response:
                return response.status, await response.json()

    status, pledge = await call(
        "POST", f"/needs/{need.id}/pledges", body={"quantity": 8, "pledger": "Asha"}
    )
    assert status == 201 and pledge["state"] == "proposed" and pledge["quantity"] == "8"
    assert (await call("POST", f"/needs/{need.id}/pledges", body={"quantity": 8}))[1][
        "field"
    ] == "pledger"
    assert (await call("POST", f"/needs/{need.id}/pledges", body={"quantity": -1, "pledger": "x"}))[
        0
    ] == 400
    assert (await call("POST", f"/needs/{need.id}/pledges", token=None, body={"quantity": 1}))[
        0
    ] == 401
    # Another group cannot pledge to a local item of this instance as if it were remote.
    assert (await call("POST", f"/needs/{need.id}/pledges", "hilltop", {"quantity": 1}))[0] == 404
    assert (await call("POST", f"/pledges/{pledge['id']}/confirm", "hilltop"))[0] == 404

    status, confirmed = await call("POST", f"/pledges/{pledge['id']}/confirm")
    assert status == 200 and confirmed["state"] == "confirmed"
    assert (await a.item(need.uri)).remaining == Decimal(12)
    status, error = await call("POST", f"/pledges/{pledge['id']}/decline")
    assert status == 409 and "confirmed" in error["error"]
    status, listed = await call("GET", "/pledges?state=confirmed")
    assert status == 200 and [p["id"] for p in listed["items"]] == [pledge["id"]]
    assert (await call("GET", "/pledges?state=maybe"))[0] == 400
    status, told = await call("GET", "/notifications")
    assert status == 200 and [n["kind"] for n in told["items"]] == ["pledge"]
    status, cancelled = await call(
        "POST", f"/pledges/{pledge['id']}/cancel", body={"reason": "ill"}
    )
    assert status == 200 and cancelled["state"] == "cancelled"
    assert (await a.item(need.uri)).remaining == Decimal(20)
