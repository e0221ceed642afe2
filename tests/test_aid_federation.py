"""Needs and offers travel to followers over real HTTP and stay current there."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import aiohttp
import pytest

from fedi_aid.activitypub.normalize import normalize
from fedi_aid.activitypub.validate import validate, validate_incoming
from fedi_aid.aid.publish import expire_due_items
from fedi_aid.aid.rows import row_to_item
from fedi_aid.clock import utcnow
from tests.harness import settle
from tests.peers import AP, MastodonPeer

FIELDS = [
    "kind",
    "title",
    "description",
    "category",
    "quantity",
    "remaining",
    "unit",
    "urgency",
    "place",
    "expires_at",
    "visibility",
    "status",
    "group_uri",
    "published",
    "hop_budget",
    "content_warning",
    "url",
]


@pytest.fixture
async def pair(make_instance):  # type: ignore[no-untyped-def]
    a = await make_instance()
    b = await make_instance()
    await a.create_group("riverside", display_name="Riverside")
    await b.create_group("hilltown")
    await b.follow("hilltown", a.handle("riverside"))
    await settle(a, b)
    return a, b


async def test_need_reaches_follower_with_every_field_then_update_and_delete(pair) -> None:
    a, b = pair
    posted = await a.post(
        "riverside",
        title="Insulin pens",
        description="For three families in Ward 4.",
        quantity=20,
        unit="pens",
        urgency="critical",
        place_name="Riverside (Jaipur)",
        latitude=26.912345,
        longitude=75.787654,
        radius_km=5,
        expires_at=utcnow() + timedelta(days=3),
        requested_by="Asha from Ward 4",
    )
    await settle(a, b)
    remote = await b.item(posted.uri)
    assert remote is not None and not remote.local
    mine, theirs = row_to_item(await a.item(posted.uri)), row_to_item(remote)
    for field in FIELDS:
        assert getattr(theirs, field) == getattr(mine, field), field
    assert theirs.place.latitude == 26.91 and theirs.place.longitude == 75.79
    assert remote.requested_by is None

    # 8 pens arrive: 12 remaining, everywhere.
    await a.change(posted.uri, remaining=12)
    await settle(a, b)
    remote = await b.item(posted.uri)
    assert remote.remaining == Decimal(12) and remote.status == "partly_met"

    await a.change(posted.uri, status="withdrawn")
    await settle(a, b)
    assert await b.item(posted.uri) is None
    assert (await a.item(posted.uri)).status == "withdrawn"


async def test_met_need_disappears_everywhere_and_offer_travels_too(pair) -> None:
    a, b = pair
    offer = await a.post(
        "riverside",
        "offer",
        title="Spare generator",
        category="power/generator",
        quantity=1,
        unit="generator",
        description="Can lend for a week.",
    )
    await settle(a, b)
    stored = await b.item(offer.uri)
    assert stored.kind == "offer" and stored.title == "Spare generator"
    await a.change(offer.uri, status="met")
    await settle(a, b)
    assert (await b.item(offer.uri)).status == "met"


async def test_expiry_deletes_on_both_instances(pair) -> None:
    a, b = pair
    posted = await a.post("riverside", expires_at=utcnow() + timedelta(hours=1))
    await settle(a, b)
    assert await b.item(posted.uri) is not None
    assert await expire_due_items(a.ctx, utcnow() + timedelta(hours=2)) == 1
    await settle(a, b)
    assert (await a.item(posted.uri)).status == "expired"
    assert await b.item(posted.uri) is None
    async with aiohttp.ClientSession() as http:
        async with http.get(posted.uri, headers={"Accept": AP}) as response:
            assert response.status == 410
            assert (await response.json())["type"] == "Tombstone"


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    peer.add_actor("bob")
    await peer.start()
    yield peer
    await peer.stop()


async def _follow_from_peer(peer, instance, name, group_uri):  # type: ignore[no-untyped-def]
    actor = peer.actors[name]
    status, _ = await peer.post(
        actor, f"{instance.base_url}/inbox", peer.follow_activity(actor, group_uri)
    )
    assert status == 202


async def test_mastodon_follower_gets_a_readable_note(make_instance, peer) -> None:
    a = await make_instance()
    group = await a.create_group("riverside")
    await _follow_from_peer(peer, a, "alice", group.uri)
    await settle(a)
    posted = await a.post(
        "riverside",
        latitude=26.912345,
        longitude=75.787654,
        place_name="Riverside",
        requested_by="Asha Devi",
    )
    await settle(a)
    [create] = peer.activities("Create")
    note = create["object"]
    assert note["type"] == "Note" and note["id"] == posted.uri
    assert "summary" not in note
    assert "Insulin pens" in note["content"] and "#<span>Insulin</span>" in note["content"]
    assert {"type": "Hashtag", "name": "#Insulin"}.items() <= note["tag"][0].items() or any(
        t["name"] == "#Insulin" for t in note["tag"]
    )
    assert "https://www.w3.org/ns/activitystreams#Public" in note["to"]
    # What we emit passes our own schemas, as a receiver would check it.
    await a.change(posted.uri, remaining=5)
    await a.change(posted.uri, status="withdrawn")
    await settle(a)
    for activity in peer.received:
        validate_incoming(normalize(activity.activity))
    validate(normalize(note), "aid-note")
    assert [r.activity["type"] for r in peer.received[1:]] == ["Create", "Update", "Delete"]
    raw = json.dumps(create)
    assert "26.912345" not in raw and "75.787654" not in raw and "26.91" in raw
    assert "Asha" not in raw and "requested" not in raw.lower()


async def test_followers_only_need_reaches_only_followers(make_instance, peer) -> None:
    a = await make_instance()
    group = await a.create_group("riverside")
    await _follow_from_peer(peer, a, "alice", group.uri)
    await settle(a)
    posted = await a.post("riverside", visibility="followers")
    await settle(a)
    [create] = peer.activities("Create")
    assert create["object"]["to"] == [group.followers_url]
    assert "https://www.w3.org/ns/activitystreams#Public" not in json.dumps(create)
    async with aiohttp.ClientSession() as http:
        for accept in (AP, "text/html"):
            async with http.get(posted.uri, headers={"Accept": accept}) as response:
                assert response.status == 404
        async with http.get(
            f"{a.base_url}/users/riverside/outbox?page=1", headers={"Accept": AP}
        ) as r:
            assert posted.uri not in await r.text()
    # alice (a follower) may fetch it with a signed GET; bob may not.
    from tests import sigtools

    for name, expected in (("alice", 200), ("bob", 404)):
        actor = peer.actors[name]
        headers = sigtools.cavage_sign(
            "GET",
            posted.uri,
            key_id=f"{actor.uri}#main-key",
            private_key_pem=actor.private_pem,
            headers={"Accept": AP},
        )
        async with aiohttp.ClientSession() as http:
            async with http.get(posted.uri, headers=headers) as response:
                assert response.status == expected, name


async def test_update_or_delete_by_another_actor_is_refused(pair, peer) -> None:
    a, b = pair
    posted = await a.post("riverside")
    await settle(a, b)
    mallory = peer.actors["bob"]
    note = {"id": posted.uri, "type": "Note", "attributedTo": mallory.uri, "content": "x"}
    for activity in (
        {"id": f"{peer.base}/u1", "type": "Update", "actor": mallory.uri, "object": note},
        {"id": f"{peer.base}/d1", "type": "Delete", "actor": mallory.uri, "object": posted.uri},
    ):
        status, text = await peer.post(mallory, f"{b.base_url}/inbox", activity)
        assert status in (400, 403), text
    await settle(a, b)
    stored = await b.item(posted.uri)
    assert stored is not None and stored.title == "Insulin pens" and stored.status == "open"


def _remote_need(peer: MastodonPeer, author_uri: str) -> dict:
    return {
        "id": f"{peer.base}/needs/1",
        "type": "Note",
        "attributedTo": author_uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{author_uri}/followers"],
        "content": "<p>Water for 30 families</p>",
        "published": "2026-11-25T10:00:00Z",
        "purpose": "request",
        "publishes": {
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": "https://fedi-aid.org/ns/categories/water",
            "resourceQuantity": {"hasUnit": "litres", "hasNumericalValue": "300"},
        },
        "location": {"type": "Place", "name": "Ward 4", "latitude": 26.9, "longitude": 75.8},
    }


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda n: n["publishes"].pop("resourceQuantity"), "resourceQuantity"),
        (lambda n: n.pop("attributedTo"), "attributedTo"),
        (
            lambda n: n["publishes"]["resourceQuantity"].update(hasNumericalValue="-3"),
            "hasNumericalValue",
        ),
        (lambda n: n.update(type="Article"), "type"),
        (lambda n: n["publishes"].update(resourceConformsTo="water please"), "resourceConformsTo"),
        (lambda n: n["location"].update(latitude=123.0), "latitude"),
        (lambda n: n.update(urgency="apocalyptic"), "urgency"),
    ],
)
async def test_bad_inbound_needs_are_400_naming_the_field(
    make_instance, peer, mutate, field
) -> None:
    b = await make_instance()
    group = await b.create_group("hilltown")
    town = peer.add_actor("smalltown", "Group")
    # hilltown follows smalltown, so a good need would be stored.
    await b.follow("hilltown", town.uri)
    await settle(b)
    good = _remote_need(peer, town.uri)
    activity = {"id": f"{peer.base}/c0", "type": "Create", "actor": town.uri, "object": good}
    status, text = await peer.post(town, f"{b.base_url}/inbox", activity)
    assert status == 202, text

    bad = _remote_need(peer, town.uri)
    bad["id"] = f"{peer.base}/needs/2"
    mutate(bad)
    activity = {"id": f"{peer.base}/c1", "type": "Create", "actor": town.uri, "object": bad}
    status, text = await peer.post(town, f"{b.base_url}/inbox", activity)
    assert status == 400, text
    assert field in json.loads(text)["error"]
    await settle(b)
    assert await b.item(good["id"]) is not None
    assert await b.item(f"{peer.base}/needs/2") is None
    assert group is not None


async def test_plain_mastodon_post_is_not_a_need(make_instance, peer) -> None:
    b = await make_instance()
    await b.create_group("hilltown")
    alice = peer.actors["alice"]
    await b.follow("hilltown", alice.uri)
    await settle(b)
    note = {
        "id": f"{peer.base}/statuses/1",
        "type": "Note",
        "attributedTo": alice.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": "<p>Lovely weather</p>",
        "published": "2026-11-25T10:00:00Z",
    }
    activity = {"id": f"{peer.base}/c9", "type": "Create", "actor": alice.uri, "object": note}
    status, _ = await peer.post(alice, f"{b.base_url}/inbox", activity)
    assert status == 202
    await settle(b)
    assert await b.item(note["id"]) is None


async def test_new_follower_gets_the_open_needs_posted_before(make_instance) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("riverside")
    await b.create_group("hilltown")
    open_need = await a.post("riverside", title="Blankets", category="shelter/bedding")
    gone = await a.post("riverside", title="Tarpaulins", category="shelter")
    await a.change(gone.uri, status="withdrawn")
    private = await a.post("riverside", visibility="followers")
    await settle(a)

    await b.follow("hilltown", a.handle("riverside"))
    await settle(a, b)
    stored = await b.item(open_need.uri)
    assert stored is not None and stored.title == "Blankets" and stored.hop_count == 0
    assert await b.item(gone.uri) is None
    assert await b.item(private.uri) is None
