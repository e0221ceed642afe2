"""What our groups sent answers at its id: public activities to anyone, a direct reply note
only to the person it was written to (signed fetch), 404 to everyone else."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests import sigtools
from tests.harness import settle

AP = "application/activity+json"


@pytest.fixture
async def peer(make_peer: Any) -> Any:
    return await make_peer("alice", "bob")


async def fetch(url: str, actor: Any = None) -> tuple[int, Any]:
    headers = {"Accept": AP}
    if actor is not None:
        headers = sigtools.cavage_sign(
            "GET",
            url,
            key_id=f"{actor.uri}#main-key",
            private_key_pem=getattr(actor, "private_pem", None) or actor.private_key_pem,
            headers=headers,
        )
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        body = await response.json(content_type=None) if response.status == 200 else None
        return response.status, body


async def test_a_reply_note_is_fetchable_by_its_addressee_only(
    make_instance: Any, peer: Any
) -> None:
    a = await make_instance()
    group = await a.create_group("riverside")
    need = await a.post("riverside", quantity=20, unit="pens")
    alice, bob = peer.actors["alice"], peer.actors["bob"]
    reply = peer.reply_activity(alice, need.uri, "I can bring 5", group.uri, "@riverside")
    assert (await peer.post(alice, f"{a.base_url}/inbox", reply))[0] == 202
    await settle(a)

    [thanks] = peer.activities("Create")
    note = thanks["object"]
    assert (
        note["id"].startswith(f"{a.base_url}/notes/") and thanks["id"] == f"{note['id']}/activity"
    )

    status, fetched = await fetch(note["id"], alice)
    assert status == 200
    assert fetched["id"] == note["id"] and fetched["content"] == note["content"]
    assert fetched["to"] == [alice.uri] and "@context" in fetched
    status, fetched_create = await fetch(thanks["id"], alice)
    assert status == 200 and fetched_create["object"]["id"] == note["id"]

    for url in (note["id"], thanks["id"]):
        assert (await fetch(url))[0] == 404  # anonymous
        assert (await fetch(url, bob))[0] == 404  # signed, but not an addressee
    assert (await fetch(f"{a.base_url}/notes/nothing-here", alice))[0] == 404


async def test_a_public_activity_answers_anyone_and_followers_only_needs_a_follower(
    make_instance: Any,
) -> None:
    a = await make_instance()
    b = await make_instance()
    await a.create_group("riverside")
    await b.create_group("hilltown")
    await b.follow("hilltown", a.handle("riverside"))
    await settle(a, b)
    public = await a.post("riverside")
    private = await a.post("riverside", title="Quiet", visibility="followers")
    await settle(a, b)

    async with a.ctx.sessions() as session:
        from sqlalchemy import select

        from fedi_aid.db.models import OutgoingActivity

        rows = (await session.execute(select(OutgoingActivity.uri, OutgoingActivity.body))).all()
    create_of = dict(_creates(rows))
    status, create = await fetch(create_of[public.uri])
    assert status == 200 and create["type"] == "Create" and create["object"]["id"] == public.uri
    assert (await fetch(create_of[private.uri]))[0] == 404
    follower = await b.actor("hilltown")
    status, create = await fetch(create_of[private.uri], follower)
    assert status == 200 and create["object"]["id"] == private.uri
    assert (await fetch(f"{a.base_url}/activities/create/unknown"))[0] == 404


def _creates(rows: list[Any]) -> list[tuple[str, str]]:
    import json

    found = []
    for uri, body in rows:
        activity = json.loads(body)
        if activity["type"] == "Create" and isinstance(activity["object"], dict):
            found.append((activity["object"]["id"], uri))
    return found
