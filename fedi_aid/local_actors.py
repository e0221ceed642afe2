"""Create and change local actors: the instance Application, Groups and Persons."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_uri, find_local_actor
from fedi_aid.db.errors import AlreadyExists
from fedi_aid.db.models import Actor
from fedi_aid.federation.keys import KeyRef, generate_key_pair
from fedi_aid.urls import INSTANCE_ACTOR_USERNAME, valid_username

LOCAL_TYPES = ("Group", "Person")


class InvalidName(ValueError):
    pass


def _new_local_actor(ctx: Context, type_: str, username: str, uri: str) -> Actor:
    private_pem, public_pem = generate_key_pair()
    now = utcnow()
    return Actor(
        uri=uri,
        type=type_,
        local=True,
        username=username,
        domain=ctx.settings.host,
        display_name="",
        summary="",
        url=ctx.urls.profile(username) if type_ != "Application" else ctx.settings.base_url,
        inbox=f"{uri}/inbox" if type_ != "Application" else ctx.urls.shared_inbox,
        shared_inbox=ctx.urls.shared_inbox,
        outbox=f"{uri}/outbox",
        followers_url=f"{uri}/followers",
        following_url=f"{uri}/following",
        locked=False,
        key_id=f"{uri}#main-key",
        public_key_pem=public_pem,
        private_key_pem=private_pem,
        created_at=now,
        updated_at=now,
    )


async def create_local_actor(
    session: AsyncSession,
    ctx: Context,
    type_: str,
    username: str,
    *,
    display_name: str = "",
    summary: str = "",
    locked: bool = False,
) -> Actor:
    if type_ not in LOCAL_TYPES:
        raise ValueError(f"local actors are Group or Person, not {type_}")
    username = username.lower()
    if not valid_username(username):
        raise InvalidName(
            f"invalid name {username!r}: use 1-30 lowercase letters, digits or underscores"
        )
    if await find_local_actor(session, username) is not None:
        raise AlreadyExists(f"an actor named {username!r} already exists on this instance")
    actor = _new_local_actor(ctx, type_, username, ctx.urls.actor(username))
    actor.display_name = display_name or username
    actor.summary = summary
    actor.locked = locked
    session.add(actor)
    await session.flush()
    return actor


async def ensure_instance_actor(session: AsyncSession, ctx: Context) -> Actor:
    """The Application actor that signs our fetches; created on first start."""
    actor = await find_actor_by_uri(session, ctx.urls.instance_actor)
    if actor is None:
        actor = _new_local_actor(
            ctx, "Application", INSTANCE_ACTOR_USERNAME, ctx.urls.instance_actor
        )
        actor.display_name = ctx.settings.instance_name
        actor.locked = True
        actor.outbox = f"{actor.uri}/outbox"
        session.add(actor)
        await session.flush()
    return actor


def key_ref(actor: Actor) -> KeyRef:
    if not actor.private_key_pem or not actor.key_id:
        raise ValueError(f"{actor.uri} has no private key")
    return KeyRef(key_id=actor.key_id, private_key_pem=actor.private_key_pem)


async def load_instance_key(ctx: Context) -> KeyRef:
    for attempt in range(2):
        try:
            async with ctx.sessions.begin() as session:
                actor = await ensure_instance_actor(session, ctx)
                ctx.instance_key = key_ref(actor)
            return ctx.instance_key
        except IntegrityError:
            if attempt:  # another process created it at the same moment: read theirs
                raise
    raise AssertionError("unreachable")


def rotate_key(actor: Actor) -> None:
    private_pem, public_pem = generate_key_pair()
    actor.private_key_pem = private_pem
    actor.public_key_pem = public_pem
    actor.updated_at = utcnow()


def set_home(
    actor: Actor, place_name: str, latitude: float, longitude: float, radius_km: float | None
) -> None:
    """A group's home area, kept coarse (about 1 km) like every place we publish."""
    from fedi_aid.aid.geo import coarse_point, validate_point

    validate_point(latitude, longitude)
    if radius_km is not None and not 0 <= radius_km <= 50_000:
        raise ValueError(f"radius_km must be between 0 and 50000, got {radius_km}")
    actor.home_place_name = place_name
    actor.home_latitude, actor.home_longitude = coarse_point(latitude, longitude)
    actor.home_radius_km = radius_km
    actor.updated_at = utcnow()
