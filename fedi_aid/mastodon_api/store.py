"""Status ids for needs, offers, relays and boosts; turning status rows into Mastodon JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.context import Context
from fedi_aid.db.dialect import insert_ignoring_duplicates
from fedi_aid.db.models import Actor, AidItemRow, Follow, Relay
from fedi_aid.db.models_accounts import GroupRole, User
from fedi_aid.db.models_oauth import ApiStatus, Favourite
from fedi_aid.mastodon_api import serializers
from fedi_aid.mastodon_api.errors import not_found
from fedi_aid.mastodon_api.pagination import row_id

SHOWN_STATUSES = ("open", "partly_met", "met")


async def register_new(session: AsyncSession) -> None:
    """Give every need/offer and every relay without one a status id, oldest first.

    Ids are handed out in arrival order, so they sort as Mastodon apps expect.
    """
    items = (
        await session.execute(
            select(AidItemRow.id, AidItemRow.group_id, AidItemRow.uri, AidItemRow.received_at)
            .where(~exists().where(ApiStatus.aid_item_id == AidItemRow.id))
            .order_by(AidItemRow.received_at, AidItemRow.id)
        )
    ).all()
    relays = (
        await session.execute(
            select(Relay.id, Relay.group_id, Relay.announce_uri, Relay.created_at, AidItemRow.id)
            .join(AidItemRow, AidItemRow.uri == Relay.object_uri)
            .where(~exists().where(ApiStatus.relay_id == Relay.id))
            .order_by(Relay.created_at, Relay.id)
        )
    ).all()
    if not items and not relays:
        return
    events = [(row.received_at, 0, row) for row in items] + [(r[3], 1, r) for r in relays]
    for _, kind, row in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 0:
            values = {
                "kind": "item",
                "aid_item_id": row.id,
                "actor_id": row.group_id,
                "uri": row.uri,
                "created_at": row.received_at,
            }
            await session.execute(
                insert_ignoring_duplicates(session, ApiStatus, ["aid_item_id"]).values(**values)
            )
        else:
            relay_id, group_id, announce_uri, created_at, item_id = row
            original = await status_id_of_item(session, item_id)
            if original is None:
                continue
            values = {
                "kind": "relay",
                "relay_id": relay_id,
                "actor_id": group_id,
                "reblog_of_id": original,
                "uri": announce_uri,
                "created_at": created_at,
            }
            await session.execute(
                insert_ignoring_duplicates(session, ApiStatus, ["relay_id"]).values(**values)
            )


async def status_id_of_item(session: AsyncSession, item_id: int) -> int | None:
    result = await session.execute(select(ApiStatus.id).where(ApiStatus.aid_item_id == item_id))
    return result.scalar_one_or_none()


async def get_status(session: AsyncSession, raw_id: str) -> ApiStatus:
    key = row_id(raw_id)
    if key is None:
        raise not_found()
    row = await session.get(ApiStatus, key)
    if row is None:
        raise not_found()
    return row


def visible_item() -> Any:
    """Needs/offers that timelines show: not withdrawn or expired, not direct."""
    return and_(
        AidItemRow.status.in_(SHOWN_STATUSES),
        AidItemRow.visibility.in_(("public", "unlisted", "followers")),
    )


async def reader_ids(session: AsyncSession, user: User | None) -> list[int]:
    """Whose eyes a user reads with: their Person and the groups they organise."""
    if user is None:
        return []
    groups = await session.execute(select(GroupRole.group_id).where(GroupRole.user_id == user.id))
    return [user.person_id, *groups.scalars()]


def readable(readers: list[int]) -> Any:
    """Public and unlisted items, and followers-only ones of groups the readers are or follow."""
    followed = select(Follow.followee_id).where(
        Follow.follower_id.in_(readers), Follow.state == "accepted"
    )
    return or_(
        AidItemRow.visibility.in_(("public", "unlisted")),
        and_(
            AidItemRow.visibility == "followers",
            or_(AidItemRow.group_id.in_(readers), AidItemRow.group_id.in_(followed)),
        ),
    )


async def find_readable(session: AsyncSession, user: User | None, raw_id: str) -> ApiStatus:
    """The status with this id if this user may read it; else 404, as Mastodon answers."""
    row = await get_status(session, raw_id)
    query = statuses_with_items().where(
        ApiStatus.id == row.id, visible_item(), readable(await reader_ids(session, user))
    )
    if (await session.execute(query)).scalars().first() is None:
        raise not_found()
    return row


def statuses_with_items() -> Any:
    """ApiStatus joined to the item it shows (its own, or the one it reblogs)."""
    original = ApiStatus.__table__.alias("original")
    return (
        select(ApiStatus)
        .outerjoin(original, original.c.id == ApiStatus.reblog_of_id)
        .join(
            AidItemRow,
            AidItemRow.id == func.coalesce(ApiStatus.aid_item_id, original.c.aid_item_id),
        )
    )


async def account_counts(session: AsyncSession, actor: Actor) -> serializers.AccountCounts:
    followers = await session.scalar(
        select(func.count()).where(Follow.followee_id == actor.id, Follow.state == "accepted")
    )
    following = await session.scalar(
        select(func.count()).where(Follow.follower_id == actor.id, Follow.state == "accepted")
    )
    statuses, last = (
        await session.execute(
            select(func.count(AidItemRow.id), func.max(AidItemRow.published)).where(
                AidItemRow.group_id == actor.id
            )
        )
    ).one()
    return serializers.AccountCounts(followers or 0, following or 0, statuses or 0, last)


class Renderer:
    """Renders accounts and statuses for one request, counting each account once."""

    def __init__(self, session: AsyncSession, ctx: Context, user: User | None) -> None:
        self.session = session
        self.base_url = ctx.settings.base_url
        self.user = user
        self._accounts: dict[int, dict[str, Any]] = {}

    async def account(self, actor: Actor) -> dict[str, Any]:
        if actor.id not in self._accounts:
            counts = await account_counts(self.session, actor)
            self._accounts[actor.id] = serializers.account(actor, self.base_url, counts)
        return self._accounts[actor.id]

    async def accounts(self, actors: Iterable[Actor]) -> list[dict[str, Any]]:
        return [await self.account(actor) for actor in actors]

    async def status(self, row: ApiStatus) -> dict[str, Any] | None:
        rendered = await self.statuses([row])
        return rendered[0] if rendered else None

    async def statuses(self, rows: Sequence[ApiStatus]) -> list[dict[str, Any]]:
        """Mastodon statuses for these rows, in order; rows whose item is gone are left out."""
        out = []
        for row in rows:
            actor = await self.session.get(Actor, row.actor_id) if row.actor_id else None
            if actor is None:
                continue
            if row.reblog_of_id is None:
                rendered = await self._item(row, actor)
            else:
                original = await self.session.get(ApiStatus, row.reblog_of_id)
                inner = await self._item(original, None) if original is not None else None
                rendered = None
                if inner is not None:
                    rendered = serializers.reblog_status(
                        row.id, row.uri, row.created_at, await self.account(actor), inner
                    )
            if rendered is not None:
                out.append(rendered)
        return out

    async def _item(self, row: ApiStatus, actor: Actor | None) -> dict[str, Any] | None:
        item = await self.session.get(AidItemRow, row.aid_item_id) if row.aid_item_id else None
        if item is None:
            return None
        author = await self.account(actor or item.group)
        return serializers.item_status(row.id, item, author, self.base_url, await self._viewer(row))

    async def _viewer(self, row: ApiStatus) -> serializers.Viewer:
        favourites = await self.session.scalar(
            select(func.count()).where(Favourite.status_id == row.id)
        )
        reblogs = await self.session.scalar(
            select(func.count()).where(ApiStatus.reblog_of_id == row.id)
        )
        favourited = reblogged = False
        if self.user is not None:
            favourited = bool(
                await self.session.scalar(
                    select(
                        exists().where(
                            Favourite.status_id == row.id, Favourite.user_id == self.user.id
                        )
                    )
                )
            )
            reblogged = bool(
                await self.session.scalar(
                    select(
                        exists().where(
                            ApiStatus.reblog_of_id == row.id,
                            ApiStatus.actor_id == self.user.person_id,
                        )
                    )
                )
            )
        return serializers.Viewer(favourited, reblogged, favourites or 0, reblogs or 0)
