"""Moderation across real HTTP: blocks (domain, actor, group), silences, Flag in and out."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from fedi_aid.db.moderation import list_reports
from fedi_aid.follows import FollowError, followers_of, following_of
from fedi_aid.moderation import (
    ModerationError,
    block_actor,
    block_domain,
    report,
    silence_domain,
    unblock_domain,
)
from tests.harness import settle
from tests.peers import MastodonPeer
from tests.test_cli_moderation import runner_for

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    peer.add_actor("mallory")
    await peer.start()
    yield peer
    await peer.stop()


async def _mutual(instance, peer, name: str, group: str) -> None:  # type: ignore[no-untyped-def]
    """The peer's actor follows the group and the group follows the actor, both accepted."""
    actor = peer.actors[name]
    group_uri = f"{instance.base_url}/users/{group}"
    status, text = await peer.post(
        actor, f"{instance.base_url}/inbox", peer.follow_activity(actor, group_uri)
    )
    assert status == 202, text
    await instance.follow(group, actor.uri)
    await settle(instance)
    assert [f.follower.uri for f in await followers_of(instance.ctx, group)] == [actor.uri]
    assert [(f.followee.uri, f.state) for f in await following_of(instance.ctx, group)] == [
        (actor.uri, "accepted")
    ]


async def test_domain_block_refuses_before_key_fetch_and_removes_follows(
    make_instance, peer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    await _mutual(a, peer, "alice", "riverside")

    result = await block_domain(a.ctx, peer.host, reason="spam wave")
    assert (result.created, result.follows_removed) == (True, 2)
    assert await followers_of(a.ctx, "riverside") == []
    assert await following_of(a.ctx, "riverside") == []

    # mallory was never seen: verifying her signature would need her key. It is not fetched.
    peer.fetched.clear()
    mallory = peer.actors["mallory"]
    follow = peer.follow_activity(mallory, f"{a.base_url}/users/riverside")
    status, text = await peer.post(mallory, f"{a.base_url}/inbox", follow)
    assert status == 403 and "blocked" in text
    assert peer.fetched == []
    # Nor is anything fetched from it on our side.
    with pytest.raises(FollowError, match="is blocked on this instance"):
        await a.follow("riverside", mallory.uri)
    assert peer.fetched == []

    # Lifted: the same POST makes the instance fetch mallory's key (the log above is real).
    assert await unblock_domain(a.ctx, peer.host)
    status, _ = await peer.post(mallory, f"{a.base_url}/inbox", follow)
    assert status == 202
    assert peer.fetched == ["/users/mallory"]


async def test_actor_block_tells_the_peer_and_refuses_it(make_instance, peer) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    await _mutual(a, peer, "alice", "riverside")
    alice = peer.actors["alice"]

    result = await block_actor(a.ctx, f"alice@{peer.host}")
    assert (result.target, result.follows_removed) == (alice.uri, 2)
    await settle(a)
    # Mastodon drops our follower on Reject and our following on Undo{Follow}.
    assert [r["object"]["actor"] for r in peer.activities("Reject")] == [alice.uri]
    assert [u["object"]["type"] for u in peer.activities("Undo")] == ["Follow"]
    assert await followers_of(a.ctx, "riverside") == []
    assert await following_of(a.ctx, "riverside") == []

    status, text = await peer.post(
        alice, f"{a.base_url}/inbox", peer.follow_activity(alice, f"{a.base_url}/users/riverside")
    )
    assert status == 403 and alice.uri in text
    # Others on the same domain are not affected.
    mallory = peer.actors["mallory"]
    status, _ = await peer.post(
        mallory,
        f"{a.base_url}/inbox",
        peer.follow_activity(mallory, f"{a.base_url}/users/riverside"),
    )
    assert status == 202

    with pytest.raises(ModerationError, match="local actor"):
        await block_actor(a.ctx, f"{a.base_url}/users/riverside")


async def test_group_block_and_domain_silence(make_instance, peer) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    await a.create_group("hilltown")
    alice, mallory = peer.actors["alice"], peer.actors["mallory"]

    await block_domain(a.ctx, peer.host, group="riverside")
    for group in ("riverside", "hilltown"):
        status, _ = await peer.post(
            alice, f"{a.base_url}/inbox", peer.follow_activity(alice, f"{a.base_url}/users/{group}")
        )
        assert status == 202
    # Addressed to riverside's own inbox, the block answers at once.
    status, _ = await peer.post(
        mallory,
        f"{a.base_url}/users/riverside/inbox",
        peer.follow_activity(mallory, f"{a.base_url}/users/riverside"),
    )
    assert status == 403
    await settle(a)
    assert await followers_of(a.ctx, "riverside") == []
    assert [f.follower.uri for f in await followers_of(a.ctx, "hilltown")] == [alice.uri]
    rejected = peer.activities("Reject")
    assert [(r["actor"], r["object"]["actor"]) for r in rejected] == [
        (f"{a.base_url}/users/riverside", alice.uri)
    ]

    # A silenced domain's follows wait for an organiser, even for an unlocked group.
    assert await silence_domain(a.ctx, peer.host)
    status, _ = await peer.post(
        mallory,
        f"{a.base_url}/inbox",
        peer.follow_activity(mallory, f"{a.base_url}/users/hilltown"),
    )
    assert status == 202
    await settle(a)
    pending = await followers_of(a.ctx, "hilltown", state="pending")
    assert [f.follower.uri for f in pending] == [mallory.uri]


async def test_flag_received_and_sent(make_instance, peer) -> None:
    a = await make_instance()
    group = await a.create_group("riverside")
    alice = peer.actors["alice"]
    flag = {
        "@context": AS,
        "id": f"{peer.base}/{uuid.uuid4()}",
        "type": "Flag",
        "actor": alice.uri,
        "object": [group.uri, f"{a.base_url}/needs/xyz"],
        "content": "posts fake needs",
    }
    status, text = await peer.post(alice, f"{a.base_url}/inbox", flag)
    assert status == 202, text
    status, _ = await peer.post(alice, f"{a.base_url}/inbox", flag)  # a repeat is stored once
    await settle(a)
    async with a.ctx.sessions() as session:
        reports = await list_reports(session, "incoming")
    assert [(r.uri, r.reporter_uri, r.targets, r.comment) for r in reports] == [
        (flag["id"], alice.uri, flag["object"], "posts fake needs")
    ]

    sent = await report(a.ctx, f"mallory@{peer.host}", "spam", [f"{peer.base}/statuses/1"])
    await settle(a)
    flags = peer.activities("Flag")
    assert len(flags) == 1, peer.rejected
    assert flags[0]["id"] == sent["id"]
    assert flags[0]["actor"] == f"{a.base_url}/actor"
    assert flags[0]["object"] == [peer.actors["mallory"].uri, f"{peer.base}/statuses/1"]
    assert flags[0]["content"] == "spam"
    async with a.ctx.sessions() as session:
        assert [r.uri for r in await list_reports(session, "outgoing")] == [sent["id"]]

    # The admin deals with the received one from the command line.
    [received] = json.loads((await _cli(a, "reports", "--open", "--json")).output)
    assert (received["id"], received["resolved"]) == (flag["id"], False)
    done = await _cli(a, "resolve-report", str(received["number"]))
    assert done.output.strip() == f"report #{received['number']} resolved"
    assert (await _cli(a, "reports", "--open")).output.strip() == "no reports"
    assert "[resolved]" in (await _cli(a, "reports")).output
    assert (await _cli(a, "resolve-report", flag["id"], "--reopen")).exit_code == 0
    assert len(json.loads((await _cli(a, "reports", "--open", "--json")).output)) == 1
    missing = await _cli(a, "resolve-report", "999")
    assert missing.exit_code == 1 and "no report 999" in missing.output


async def _cli(instance, *args: str):  # type: ignore[no-untyped-def]
    """The command line, in-process, on this instance's database (click runs asyncio.run)."""
    settings = instance.settings
    env = {
        "FEDI_AID_CONFIG": "",
        "FEDI_AID_BASE_URL": settings.base_url,
        "FEDI_AID_DATA_DIR": settings.data_dir,
        "FEDI_AID_DATABASE_URL": settings.database_url,
        "FEDI_AID_DATABASE_SCHEMA": settings.database_schema,
        "FEDI_AID_DEVELOPMENT": "true",
    }
    return await asyncio.to_thread(runner_for(env), *args)


async def _signed_post_from(instance, actor_uri: str, private_pem: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    import aiohttp

    from tests import sigtools

    inbox = f"{instance.base_url}/inbox"
    activity = {
        "@context": AS,
        "id": f"{actor_uri}#follow-{uuid.uuid4()}",
        "type": "Follow",
        "actor": actor_uri,
        "object": f"{instance.base_url}/users/riverside",
    }
    body = json.dumps(activity).encode()
    headers = sigtools.cavage_sign(
        "POST",
        inbox,
        key_id=f"{actor_uri}#main-key",
        private_key_pem=private_pem,
        body=body,
        headers={"Content-Type": "application/activity+json"},
    )
    async with aiohttp.ClientSession() as http, http.post(inbox, data=body, headers=headers) as r:
        return r.status, await r.text()


async def test_a_domain_block_covers_its_subdomains(make_instance) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from fedi_aid.db.models import Actor, Follow
    from fedi_aid.federation.keys import generate_key_pair

    a = await make_instance()
    group = await a.create_group("riverside")
    now = datetime.now(UTC)
    async with a.ctx.sessions.begin() as session:  # followers on a subdomain and a lookalike
        for n, domain in enumerate(("social.spam.example", "spam.example:8443", "notspam.example")):
            uri = f"https://{domain}/users/u{n}"
            actor = Actor(
                uri=uri,
                type="Person",
                local=False,
                username=f"u{n}",
                domain=domain,
                created_at=now,
                updated_at=now,
            )
            session.add(actor)
            await session.flush()
            follow = Follow(
                uri=f"{uri}#f",
                follower_id=actor.id,
                followee_id=group.id,
                state="accepted",
                created_at=now,
                updated_at=now,
            )
            session.add(follow)

    result = await block_domain(a.ctx, "spam.example")
    assert result.follows_removed == 2
    assert [f.follower.domain for f in await followers_of(a.ctx, "riverside")] == [
        "notspam.example"
    ]

    # A fresh subdomain is refused before anything is fetched from it (it does not even
    # resolve: a key fetch would fail with 401, not 403).
    private_pem, _ = generate_key_pair()
    status, text = await _signed_post_from(a, "https://new.spam.example/users/x", private_pem)
    assert status == 403 and "blocked" in text
    status, _ = await _signed_post_from(a, "https://notspam.example/users/x", private_pem)
    assert status == 401

    with pytest.raises(ModerationError, match="would block this instance"):
        await block_domain(a.ctx, a.host.split(":")[0])
