"""A group's organisers hear of new followers and follow requests, once each."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fedi_aid.db.models_pledges import Notification
from tests.harness import settle


@pytest.fixture
async def peer(make_peer: Any) -> Any:
    return await make_peer("alice")


async def notifications(instance: Any) -> list[tuple[str, str, str]]:
    async with instance.ctx.sessions() as session:
        rows = (await session.execute(select(Notification).order_by(Notification.id))).scalars()
        return [(n.kind, n.subject_uri, n.text) for n in rows]


async def test_a_follower_and_a_request_are_notified_once(make_instance: Any, peer: Any) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    await a.create_group("camp", locked=True)
    alice = peer.actors["alice"]
    follow = peer.follow_activity(alice, f"{a.base_url}/users/riverside")
    for _ in range(2):  # Mastodon repeats a Follow it has no answer to yet
        assert (await peer.post(alice, f"{a.base_url}/inbox", follow))[0] == 202
        await settle(a)
    request = peer.follow_activity(alice, f"{a.base_url}/users/camp")
    assert (await peer.post(alice, f"{a.base_url}/inbox", request))[0] == 202
    await settle(a)

    assert await notifications(a) == [
        ("follow", alice.uri, f"@alice@{peer.host} follows"),
        ("follow_request", alice.uri, f"@alice@{peer.host} asks to follow"),
    ]
