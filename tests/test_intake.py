"""Asking from Mastodon: a mention of a group lands in its intake queue; organisers convert it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from fedi_aid.activitypub.vocab import PUBLIC
from fedi_aid.db.models import Delivery, InboxItem, OutgoingActivity
from fedi_aid.db.models_discovery import IntakeRequest
from fedi_aid.db.moderation import set_domain_policy
from fedi_aid.intake.receive import IntakeLimits
from fedi_aid.intake.service import Conversion, convert_request, dismiss_request, list_requests
from tests.harness import settle
from tests.peers import AP, MastodonPeer, PeerActor


def mention(peer: MastodonPeer, asker: PeerActor, group_uri: str, text: str, **extra: Any) -> dict:
    """A public Mastodon post mentioning the group, as Mastodon sends it."""
    status = f"{asker.uri}/statuses/{uuid.uuid4().int >> 64}"
    name = group_uri.rsplit("/", 1)[-1]
    tags = [{"type": "Mention", "href": group_uri, "name": f"@{name}"}]
    words = []
    for word in text.split():
        if word.startswith("#"):
            tag = word[1:]
            href = f"{peer.base}/tags/{tag}"
            tags.append({"type": "Hashtag", "href": href, "name": f"#{tag}"})
            words.append(
                f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'
            )
        else:
            words.append(word)
    content = (
        f'<p><span class="h-card" translate="no"><a href="{group_uri}" class="u-url mention">'
        f"@<span>{name}</span></a></span> {' '.join(words)}</p>"
    )
    audience = {"to": [PUBLIC], "cc": [f"{asker.uri}/followers", group_uri]}
    note = {
        "id": status,
        "type": "Note",
        "summary": None,
        "inReplyTo": extra.get("in_reply_to"),
        "published": "2026-11-25T10:00:00Z",
        "url": f"{peer.base}/@{asker.name}/1",
        "attributedTo": asker.uri,
        **audience,
        "sensitive": False,
        "content": content,
        "contentMap": {"en": content},
        "attachment": [],
        "tag": tags,
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": f"{status}/activity",
        "type": "Create",
        "actor": asker.uri,
        "published": "2026-11-25T10:00:00Z",
        **audience,
        "object": note,
    }


@pytest.fixture
async def world(make_instance):  # type: ignore[no-untyped-def]
    a = await make_instance()
    b = await make_instance()
    await a.create_group("riverside", display_name="Riverside")
    await b.create_group("hilltown")
    await b.follow("hilltown", a.handle("riverside"))
    peer = await MastodonPeer().start()
    await settle(a, b)
    yield a, b, peer
    await peer.stop()


async def _intake(instance) -> list[IntakeRequest]:  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        rows = await session.execute(select(IntakeRequest).order_by(IntakeRequest.id))
        return list(rows.scalars().unique().all())


async def test_mention_lands_in_intake_converts_and_keeps_asker_private(world) -> None:
    a, b, peer = world
    asha = peer.add_actor("asha_w4")
    riverside = (await a.actor("riverside")).uri
    text = "we need drinking water for 30 families in Ward 4 #need #water"
    status, _ = await peer.post(asha, f"{a.base_url}/inbox", mention(peer, asha, riverside, text))
    assert status == 202
    await settle(a, b)

    queued = await list_requests(a.ctx, "riverside", "pending")
    assert len(queued) == 1
    ask = queued[0]
    assert ask["asker"] == f"@asha_w4@{peer.host}"
    assert ask["suggested"]["kind"] == "need"
    assert ask["suggested"]["category"].endswith("/water")
    assert ask["suggested"]["title"] == "we need drinking water for 30 families in Ward 4"

    done = await convert_request(
        a.ctx,
        "riverside",
        ask["id"],
        Conversion(quantity=30, unit="families", place_name="Ward 4", title="Drinking water"),
    )
    assert done["state"] == "converted" and done["item"]
    await settle(a, b)

    # The need reached the group's follower, without the asker.
    need = await b.item(done["item"])
    assert need is not None and need.title == "Drinking water" and need.quantity == 30
    assert need.requested_by is None
    mine = await a.item(done["item"])
    assert mine.requested_by == f"@asha_w4@{peer.host}"

    # The asker got a direct reply that mentions them and links the need.
    replies = peer.activities("Create")
    assert len(replies) == 1
    note = replies[0]["object"]
    assert note["to"] == [asha.uri] and note["cc"] == []
    assert note["inReplyTo"] == ask["note"]
    assert {"type": "Mention", "href": asha.uri, "name": f"@asha_w4@{peer.host}"} in note["tag"]
    assert done["item"] in note["content"]

    # No other federated document names the asker: not the Create to followers, not the need,
    # not the outbox, not the featured collection.
    async with a.ctx.sessions() as session:
        sent = (await session.execute(select(OutgoingActivity))).scalars().all()
        reply_inboxes = (
            (
                await session.execute(
                    select(Delivery.inbox)
                    .join(OutgoingActivity, OutgoingActivity.id == Delivery.activity_id)
                    .where(OutgoingActivity.uri == replies[0]["id"])
                )
            )
            .scalars()
            .all()
        )
    assert reply_inboxes == [f"{peer.base}/inbox"]
    others = [o.body for o in sent if o.uri != replies[0]["id"]]
    assert others
    fetched = []
    async with aiohttp.ClientSession(headers={"Accept": AP}) as http:
        base = f"{riverside}"
        for url in (done["item"], f"{base}/outbox?page=1", f"{base}/collections/featured"):
            async with http.get(url) as response:
                assert response.status == 200, url
                fetched.append(await response.text())
    for text_ in [*others, *fetched, json.dumps(need.description)]:
        assert "asha_w4" not in text_ and asha.uri not in text_


async def test_asker_who_agreed_is_named_and_dismiss_replies_or_not(world) -> None:
    a, b, peer = world
    ravi = peer.add_actor("ravi")
    riverside = (await a.actor("riverside")).uri
    for text in ("blankets for the night shelter #need #bedding", "hello there", "spam spam"):
        await peer.post(ravi, f"{a.base_url}/inbox", mention(peer, ravi, riverside, text))
    await settle(a, b)
    first, second, third = await list_requests(a.ctx, "riverside", "pending")

    done = await convert_request(
        a.ctx, "riverside", first["id"], Conversion(quantity=12, asker_agreed=True)
    )
    await settle(a, b)
    need = await b.item(done["item"])
    assert f"Asked by @ravi@{peer.host}." in need.description
    assert need.title == "blankets for the night shelter"

    with pytest.raises(Exception, match="already converted"):
        await dismiss_request(a.ctx, "riverside", first["id"], reply=None)
    await dismiss_request(a.ctx, "riverside", second["id"], reply="Sorry, not something we do.")
    await dismiss_request(a.ctx, "riverside", third["id"], reply=None, block=True)
    await settle(a, b)
    notes = [c["object"] for c in peer.activities("Create")]
    assert len(notes) == 2  # the conversion and the polite dismissal; the third was silent
    assert "not something we do" in notes[1]["content"]
    assert {r["state"] for r in await list_requests(a.ctx, "riverside", None)} == {
        "converted",
        "dismissed",
    }

    # Blocked by the group when dismissed: a new ask from ravi never reaches the queue.
    await peer.post(ravi, f"{a.base_url}/inbox", mention(peer, ravi, riverside, "again #need"))
    await settle(a, b)
    assert await list_requests(a.ctx, "riverside", "pending") == []


async def test_replies_to_our_needs_and_blocked_domains_stay_out(world) -> None:
    a, b, peer = world
    mina = peer.add_actor("mina")
    riverside = (await a.actor("riverside")).uri
    need = await a.post("riverside")
    reply = mention(peer, mina, riverside, "I can bring 5", in_reply_to=need.uri)
    await peer.post(mina, f"{a.base_url}/inbox", reply)
    await settle(a, b)
    assert await _intake(a) == []

    async with a.ctx.sessions.begin() as session:
        await set_domain_policy(session, peer.host, blocked=True)
    status, _ = await peer.post(
        mina, f"{a.base_url}/inbox", mention(peer, mina, riverside, "water #need")
    )
    assert status == 403
    await settle(a, b)
    assert await _intake(a) == []


async def test_flood_from_one_actor_is_cut_off_and_nothing_else_is_disturbed(
    world, monkeypatch
) -> None:
    a, b, peer = world
    monkeypatch.setattr("fedi_aid.intake.receive.LIMITS", IntakeLimits(per_actor=3, per_domain=6))
    flooder, calm, other = peer.add_actor("flooder"), peer.add_actor("calm"), peer.add_actor("x")
    riverside = (await a.actor("riverside")).uri
    for n in range(12):
        body = mention(peer, flooder, riverside, f"ask number {n} #need")
        assert (await peer.post(flooder, f"{a.base_url}/inbox", body))[0] == 202
    await peer.post(calm, f"{a.base_url}/inbox", mention(peer, calm, riverside, "rice #need"))
    # Meanwhile the group's ordinary work goes on: a need from a group it follows arrives.
    await a.follow("riverside", b.handle("hilltown"))
    await settle(a, b)
    posted = await b.post("hilltown", title="Tarpaulins")
    await settle(a, b)

    rows = await _intake(a)
    by_asker: dict[str, int] = {}
    for row in rows:
        by_asker[row.asker.username] = by_asker.get(row.asker.username, 0) + 1
    assert by_asker == {"flooder": 3, "calm": 1}
    assert (await a.item(posted.uri)) is not None
    async with a.ctx.sessions() as session:
        states = (await session.execute(select(InboxItem.state))).scalars().all()
    assert set(states) == {"done"}

    # The domain limit (6 an hour) holds for everyone on it: 4 so far, 2 more get in.
    for n in range(3):
        await peer.post(other, f"{a.base_url}/inbox", mention(peer, other, riverside, f"o{n}"))
    await settle(a, b)
    assert len(await _intake(a)) == 6


async def test_intake_and_discover_over_the_api(world) -> None:
    from fedi_aid.clock import utcnow
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.db.tokens import create_token

    a, b, peer = world
    lena = peer.add_actor("lena")
    riverside = (await a.actor("riverside")).uri
    for text in ("soap for 20 households #need #soap", "who are you?"):
        await peer.post(lena, f"{a.base_url}/inbox", mention(peer, lena, riverside, text))
    await settle(a, b)
    async with a.ctx.sessions.begin() as session:
        token = await create_token(
            session, await get_local_actor(session, "riverside"), "tests", utcnow()
        )
    api = f"{a.base_url}/api/aid/v1"
    auth = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: Any = None, headers: Any = auth) -> Any:
            async with http.request(method, api + path, json=body, headers=headers) as reply:
                return reply.status, await reply.json()

        assert (await call("GET", "/intake", headers={}))[0] == 401
        status, listed = await call("GET", "/intake")
        assert (
            status == 200 and [i["text"] for i in listed["items"]][1] == "@riverside who are you?"
        )
        soap, question = listed["items"]
        status, error = await call("POST", f"/intake/{soap['id']}/convert", {"quantity": -1})
        assert status == 400 and error["field"] == "quantity"
        status, error = await call("POST", f"/intake/{soap['id']}/convert", {"colour": "red"})
        assert status == 400 and error["field"] == "colour"
        status, done = await call(
            "POST", f"/intake/{soap['id']}/convert", {"quantity": 20, "unit": "bars"}
        )
        assert status == 200 and done["state"] == "converted"
        status, error = await call("POST", f"/intake/{soap['id']}/dismiss", {})
        assert status == 409
        status, gone = await call("POST", f"/intake/{question['id']}/dismiss", {"reply": None})
        assert status == 200 and gone["state"] == "dismissed" and gone["reply"] is None
        assert (await call("POST", "/intake/999/dismiss", {}))[0] == 404

        status, error = await call("GET", "/discover?near=91,0&radius_km=5")
        assert status == 400 and error["field"] == "near"
        status, error = await call("GET", "/discover?near=26.9,75.8&radius_km=x")
        assert status == 400 and error["field"] == "radius_km"
        status, found = await call("GET", "/discover?near=26.9,75.8&radius_km=50&depth=1")
        assert status == 200 and found["groups"] == []  # nobody has a home set
    await settle(a, b)
    need = await b.item(done["item"])
    assert need.unit == "bars" and need.category.endswith("/hygiene/soap")
    assert len(peer.activities("Create")) == 1  # the conversion's reply; the dismissal was silent
