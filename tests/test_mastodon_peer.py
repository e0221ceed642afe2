"""A Mastodon-shaped peer follows a local group, gets the Accept, and can undo."""

from __future__ import annotations

import pytest

from fedi_aid.follows import followers_of, following_of
from tests.harness import settle
from tests.peers import MastodonPeer


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    await peer.start()
    yield peer
    await peer.stop()


async def test_mastodon_follow_gets_accept_on_shared_inbox(make_instance, peer) -> None:
    b = await make_instance()
    group = await b.create_group("riverside")
    alice = peer.actors["alice"]
    follow = peer.follow_activity(alice, group.uri)

    status, _ = await peer.post(alice, f"{b.base_url}/users/riverside/inbox", follow)
    assert status == 202
    await settle(b)

    accepts = peer.activities("Accept")
    assert len(accepts) == 1, peer.rejected
    accept = accepts[0]
    assert accept["actor"] == group.uri
    assert accept["object"]["id"] == follow["id"]
    assert accept["object"]["type"] == "Follow"
    assert accept["object"]["actor"] == alice.uri
    # Delivered to the shared inbox, as Mastodon advertises it.
    assert peer.received[0].path == "/inbox"
    assert [f.follower.uri for f in await followers_of(b.ctx, "riverside")] == [alice.uri]

    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{follow['id']}/undo",
        "type": "Undo",
        "actor": alice.uri,
        "object": follow,
    }
    status, _ = await peer.post(alice, f"{b.base_url}/inbox", undo)
    assert status == 202
    await settle(b)
    assert await followers_of(b.ctx, "riverside") == []


async def test_local_group_follows_mastodon_account(make_instance, peer) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    relation = await a.follow("riverside", f"alice@{peer.host}")
    await settle(a)
    follows = peer.activities("Follow")
    assert len(follows) == 1, peer.rejected
    assert follows[0]["object"] == peer.actors["alice"].uri
    assert follows[0]["id"] == relation.uri
    # Mastodon accepts at once; the Accept (Follow embedded) settles it here.
    await settle(a)
    assert [f.state for f in await following_of(a.ctx, "riverside")] == ["accepted"]
