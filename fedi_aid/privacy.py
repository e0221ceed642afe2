"""What this instance holds about a person, exported and erased on request (DESIGN.md §6).

A member of a community appears in two places: as the `requested_by` of the needs and offers
their group posted for them (a local-only note that never federates), and possibly as a local
`Person` actor with the same username. `export_person` gathers both; `erase_person` clears the
first (the published items stay: they never carried the name) and deletes the second.

Names match case-insensitively (Unicode case folding, surrounding spaces ignored). Plain
functions over a session so that the CLI, the API and a web page can all call them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid import categories
from fedi_aid.clock import isoformat
from fedi_aid.db.actors import find_local_actor
from fedi_aid.db.models import Actor, AidItemRow, Follow, OutgoingActivity


def _when(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def _category_label(uri: str) -> str:
    try:
        return categories.label(uri)
    except ValueError:  # a stored URI this version does not know
        return uri


def group_handle(group: Actor) -> str:
    return f"@{group.username}@{group.domain}" if group.username else group.uri


def item_record(row: AidItemRow, *, include_requester: bool = True) -> dict[str, Any]:
    """A stored need or offer as plain data (quantities as strings, times as ISO 8601 UTC).

    `requested_by` is local-only: include it for the instance's own admins, never for peers.
    """
    record: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "uri": row.uri,
        "title": row.title,
        "description": row.description or "",
        "category": row.category,
        "category_label": _category_label(row.category),
        "quantity": format_decimal(row.quantity),
        "remaining": format_decimal(min(row.remaining, row.quantity)),
        "unit": row.unit,
        "urgency": row.urgency,
        "status": row.status,
        "place": (
            {
                "name": row.place_name or "",
                "latitude": row.latitude,
                "longitude": row.longitude,
                "radius_km": row.radius_km,
            }
            if row.place_name is not None or row.latitude is not None
            else None
        ),
        "expires_at": _when(row.expires_at),
        "visibility": row.visibility,
        "direct_to": list(row.direct_to or []),
        "hop_budget": row.hop_budget,
        "content_warning": row.content_warning,
        "group": group_handle(row.group),
        "group_uri": row.group.uri,
        "local": row.local,
        "published": _when(row.published),
        "updated": _when(row.updated),
    }
    if include_requester:
        record["requested_by"] = row.requested_by
    return record


def _same_name(stored: str | None, wanted: str) -> bool:
    return stored is not None and stored.strip().casefold() == wanted


def _key(name: str) -> str:
    key = name.strip().casefold()
    if not key:
        raise ValueError("a name must not be empty")
    return key


async def items_requested_by(session: AsyncSession, name: str) -> list[AidItemRow]:
    """Local needs and offers whose `requested_by` is `name` (case-insensitive), oldest first."""
    key = _key(name)
    # SQL lower() folds ASCII only on SQLite, so compare in Python over the ids and names.
    candidates = await session.execute(
        select(AidItemRow.id, AidItemRow.requested_by).where(AidItemRow.requested_by.is_not(None))
    )
    ids = [item_id for item_id, stored in candidates if _same_name(stored, key)]
    if not ids:
        return []
    rows = await session.execute(
        select(AidItemRow).where(AidItemRow.id.in_(ids)).order_by(AidItemRow.id)
    )
    return list(rows.scalars().unique().all())


async def find_local_person(session: AsyncSession, name: str) -> Actor | None:
    """The local Person actor named `name`, if there is one (usernames are lowercase)."""
    actor = await find_local_actor(session, _key(name))
    return actor if actor is not None and actor.type == "Person" else None


async def _person_record(session: AsyncSession, person: Actor) -> dict[str, Any]:
    """The actor and what hangs off it. Never the private key."""
    follows = await session.execute(
        select(Follow).where(or_(Follow.follower_id == person.id, Follow.followee_id == person.id))
    )
    following, followers = [], []
    for relation in follows.scalars().unique().all():
        if relation.follower_id == person.id:
            following.append({"actor": relation.followee.uri, "state": relation.state})
        else:
            followers.append({"actor": relation.follower.uri, "state": relation.state})
    activities = await session.execute(
        select(OutgoingActivity)
        .where(OutgoingActivity.actor_id == person.id)
        .order_by(OutgoingActivity.id)
    )
    return {
        "uri": person.uri,
        "type": person.type,
        "username": person.username,
        "handle": group_handle(person),
        "display_name": person.display_name,
        "summary": person.summary,
        "url": person.url,
        "locked": person.locked,
        "public_key_id": person.key_id,
        "created_at": _when(person.created_at),
        "updated_at": _when(person.updated_at),
        "following": following,
        "followers": followers,
        "activities": [
            {
                "uri": activity.uri,
                "type": activity.type,
                "created_at": _when(activity.created_at),
                "body": json.loads(activity.body),
            }
            for activity in activities.scalars().all()
        ],
    }


@dataclass
class PersonExport:
    """Everything held about one member."""

    name: str
    items: list[dict[str, Any]] = field(default_factory=list)
    person: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        return not self.items and self.person is None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "items": self.items, "person": self.person}


@dataclass
class Erasure:
    """What `erase_person` removed."""

    name: str
    items: list[dict[str, Any]] = field(default_factory=list)  # id, kind, uri, title
    person: str | None = None  # URI of the deleted Person actor

    @property
    def empty(self) -> bool:
        return not self.items and self.person is None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "items_cleared": self.items, "person_deleted": self.person}


async def export_person(session: AsyncSession, name: str) -> PersonExport:
    """What this instance holds about the member `name`. Raises ValueError for an empty name."""
    items = await items_requested_by(session, name)
    person = await find_local_person(session, name)
    return PersonExport(
        name=name.strip(),
        items=[item_record(row) for row in items],
        person=await _person_record(session, person) if person is not None else None,
    )


async def erase_person(session: AsyncSession, name: str) -> Erasure:
    """Forget the member `name`: clear `requested_by` on their items, delete their Person actor.

    Run it in a transaction (`sessions.begin()`); nothing is sent to peers, since the name never
    left this instance.
    """
    erasure = Erasure(name=name.strip())
    for row in await items_requested_by(session, name):
        row.requested_by = None
        erasure.items.append({"id": row.id, "kind": row.kind, "uri": row.uri, "title": row.title})
    person = await find_local_person(session, name)
    if person is not None:
        erasure.person = person.uri
        await session.delete(person)  # follows and sent activities go with it (ON DELETE)
    await session.flush()
    return erasure
