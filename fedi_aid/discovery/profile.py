"""What a group tells others about itself for discovery: the categories it works on."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.categories import resolve_category
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import get_local_actor
from fedi_aid.outbox.actors import send_actor_update

MAX_CATEGORIES = 50


async def set_group_categories(
    session: AsyncSession, ctx: Context, group_name: str, categories: Iterable[str]
) -> list[str]:
    """Replace GROUP's categories (slugs, names or URIs; UnknownCategory on a bad one) and
    send its peers an Update. Returns the category URIs."""
    uris = list(dict.fromkeys(resolve_category(c) for c in categories))
    if len(uris) > MAX_CATEGORIES:
        raise ValueError(f"at most {MAX_CATEGORIES} categories, got {len(uris)}")
    actor = await get_local_actor(session, group_name, "Group")
    actor.categories = uris
    actor.updated_at = utcnow()
    await send_actor_update(session, ctx, actor)
    return uris
