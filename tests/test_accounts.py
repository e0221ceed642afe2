"""Accounts: argon2 hashes, one answer for wrong names and passwords, organiser roles."""

from __future__ import annotations

import pytest

from fedi_aid.accounts import (
    AccountError,
    authenticate,
    create_user,
    may_act_for,
    organised_groups,
)
from fedi_aid.db.errors import AlreadyExists


async def test_create_authenticate_and_roles(make_instance) -> None:
    instance = await make_instance(start=False)
    ctx = instance.ctx
    await ctx.start()
    town = await instance.create_group("town")
    other = await instance.create_group("other")
    async with ctx.sessions.begin() as session:
        user = await create_user(session, ctx, "Asha", "correct horse battery", groups=["town"])
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash
        assert user.person.type == "Person" and user.person.uri.endswith("/users/asha")
    async with ctx.sessions.begin() as session:
        assert await authenticate(session, "asha", "correct horse battery") is not None
        assert await authenticate(session, "asha", "wrong password!!") is None
        assert await authenticate(session, "nobody", "correct horse battery") is None
        user = await authenticate(session, "ASHA", "correct horse battery")
        assert [g.username for g in await organised_groups(session, user)] == ["town"]
        assert await may_act_for(session, user, await session.merge(town))
        assert not await may_act_for(session, user, await session.merge(other))
    async with ctx.sessions.begin() as session:
        with pytest.raises(AlreadyExists):
            await create_user(session, ctx, "asha", "another long password")
        with pytest.raises(AccountError, match="at least 10"):
            await create_user(session, ctx, "bob", "short")
