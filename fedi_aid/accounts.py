"""Create accounts, check passwords, and say who organises which group."""

from __future__ import annotations

from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import get_local_actor
from fedi_aid.db.errors import AlreadyExists
from fedi_aid.db.models import Actor
from fedi_aid.db.models_accounts import GroupRole, User
from fedi_aid.local_actors import create_local_actor

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    session: AsyncSession,
    ctx: Context,
    username: str,
    password: str,
    *,
    groups: Sequence[str] = (),
    is_admin: bool = False,
) -> User:
    """A new login with its own local Person actor, organising `groups`."""
    if await find_user(session, username) is not None:
        raise AlreadyExists(f"a user named {username!r} already exists")
    password_hash = hash_password(password)
    person = await create_local_actor(session, ctx, "Person", username)
    user = User(
        username=person.username,
        password_hash=password_hash,
        person_id=person.id,
        is_admin=is_admin,
        created_at=utcnow(),
    )
    user.person = person
    session.add(user)
    await session.flush()
    for name in groups:
        await grant_group(session, user, await get_local_actor(session, name, "Group"))
    return user


async def grant_group(session: AsyncSession, user: User, group: Actor) -> None:
    existing = await session.execute(
        select(GroupRole).where(GroupRole.user_id == user.id, GroupRole.group_id == group.id)
    )
    if existing.scalar_one_or_none() is None:
        session.add(GroupRole(user_id=user.id, group_id=group.id, created_at=utcnow()))
        await session.flush()


async def find_user(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username.lower()))
    return result.scalar_one_or_none()


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (same answer for unknown names)."""
    user = await find_user(session, username)
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    if not password_matches(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


async def organised_groups(session: AsyncSession, user: User) -> list[Actor]:
    rows = await session.execute(
        select(Actor)
        .join(GroupRole, GroupRole.group_id == Actor.id)
        .where(GroupRole.user_id == user.id)
        .order_by(Actor.username)
    )
    return list(rows.scalars().all())


async def may_act_for(session: AsyncSession, user: User, group: Actor) -> bool:
    if user.is_admin:
        return True
    result = await session.execute(
        select(GroupRole.id).where(GroupRole.user_id == user.id, GroupRole.group_id == group.id)
    )
    return result.scalar_one_or_none() is not None
