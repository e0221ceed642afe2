"""Group follows across instances over real HTTP with real signatures."""

from __future__ import annotations

from fedi_aid.db.follows import list_followers, list_following
from fedi_aid.follows import approve, followers_of, following_of, unfollow
from tests.harness import settle


async def _states(instance, name):  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        actor = await instance.actor(name)
        followers = [(f.follower.uri, f.state) for f in await list_followers(session, actor)]
        pending = [
            (f.follower.uri, f.state) for f in await list_followers(session, actor, state="pending")
        ]
        following = [(f.followee.uri, f.state) for f in await list_following(session, actor)]
    return followers, pending, following


async def test_group_follows_group_on_another_instance(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    alpha = await a.create_group("alpha")
    beta = await b.create_group("beta")

    relation = await a.follow("alpha", b.handle("beta"))
    assert relation.state == "pending"
    await settle(a, b)

    followers_b, _, _ = await _states(b, "beta")
    _, _, following_a = await _states(a, "alpha")
    assert followers_b == [(alpha.uri, "accepted")]
    assert following_a == [(beta.uri, "accepted")]

    # Undo removes it on both sides.
    await unfollow(a.ctx, "alpha", b.handle("beta"))
    await settle(a, b)
    assert await followers_of(b.ctx, "beta") == []
    assert await following_of(a.ctx, "alpha") == []


async def test_three_instances_follow_in_a_chain(make_instance) -> None:
    a, b, c = await make_instance(), await make_instance(), await make_instance()
    for instance, name in ((a, "town"), (b, "district"), (c, "state")):
        await instance.create_group(name)
    await a.follow("town", b.handle("district"))
    await b.follow("district", c.handle("state"))
    await c.follow("state", a.handle("town"))
    await settle(a, b, c)
    assert [f.follower.uri for f in await followers_of(b.ctx, "district")] == [
        (await a.actor("town")).uri
    ]
    assert [f.follower.uri for f in await followers_of(c.ctx, "state")] == [
        (await b.actor("district")).uri
    ]
    assert [f.follower.uri for f in await followers_of(a.ctx, "town")] == [
        (await c.actor("state")).uri
    ]
    assert [f.state for f in await following_of(c.ctx, "state")] == ["accepted"]


async def test_locked_group_holds_the_follow_until_approved(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    alpha = await a.create_group("alpha")
    await b.create_group("quiet", locked=True)

    await a.follow("alpha", b.handle("quiet"))
    await settle(a, b)
    followers, pending, _ = await _states(b, "quiet")
    assert followers == [] and pending == [(alpha.uri, "pending")]
    assert [f.state for f in await following_of(a.ctx, "alpha")] == ["pending"]

    await approve(b.ctx, "quiet", alpha.uri)
    await settle(a, b)
    followers, pending, _ = await _states(b, "quiet")
    assert followers == [(alpha.uri, "accepted")] and pending == []
    assert [f.state for f in await following_of(a.ctx, "alpha")] == ["accepted"]


async def test_rejected_follow_is_removed_on_both_sides(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    alpha = await a.create_group("alpha")
    await b.create_group("quiet", locked=True)
    await a.follow("alpha", b.handle("quiet"))
    await settle(a, b)
    await approve(b.ctx, "quiet", alpha.uri, reject=True)
    await settle(a, b)
    assert await followers_of(b.ctx, "quiet", state="pending") == []
    assert await following_of(a.ctx, "alpha") == []
