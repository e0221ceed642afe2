"""A person's data: exported and erased (DESIGN.md §6), on both database backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fedi_aid.aid.publish import AidDraft, post_item, withdraw_item
from fedi_aid.db.aid_items import get_item
from fedi_aid.db.follows import save_follow
from fedi_aid.db.models import Actor, AidItemRow, Follow, OutgoingActivity
from fedi_aid.local_actors import create_local_actor
from fedi_aid.privacy import erase_person, export_person, item_record


def _draft(title: str, requested_by: str | None, kind: str = "need") -> AidDraft:
    return AidDraft(
        kind=kind,
        title=title,
        category="insulin",
        quantity="20",
        unit="pens",
        place_name="Riverside",
        latitude=26.9124,
        longitude=75.7873,
        requested_by=requested_by,
    )


async def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_export_then_erase(make_instance) -> None:  # type: ignore[no-untyped-def]
    inst = await make_instance(start=False)
    ctx = inst.ctx
    group = await inst.create_group("riverside")
    async with ctx.sessions.begin() as session:
        group = await session.merge(group)
        ids = {}
        for title, who, kind in [
            ("Insulin pens", "Asha", "need"),
            ("Glucose strips", "  ASHA ", "need"),
            ("Spare fridge", "asha", "offer"),
            ("Blankets", "Ravi", "need"),
            ("Tarpaulins", None, "need"),
            ("Rides", "Élodie", "offer"),
        ]:
            ids[title] = (await post_item(session, ctx, group, _draft(title, who, kind))).id
        await withdraw_item(session, ctx, await get_item(session, ids["Glucose strips"]))
        person = await create_local_actor(session, ctx, "Person", "asha", display_name="Asha")
        await save_follow(
            session, person, group, "http://x/follows/1", "accepted", datetime.now(UTC)
        )
        person_uri = person.uri

    async with ctx.sessions() as session:
        exported = await export_person(session, "asha")
        assert exported.name == "asha" and not exported.empty
        assert sorted(r["title"] for r in exported.items) == [
            "Glucose strips",
            "Insulin pens",
            "Spare fridge",
        ]
        assert {r["kind"] for r in exported.items} == {"need", "offer"}
        first = exported.items[0]
        assert first["quantity"] == "20" and first["remaining"] == "20"
        assert first["place"] == {
            "name": "Riverside",
            "latitude": 26.91,
            "longitude": 75.79,
            "radius_km": None,
        }
        person_data = exported.person
        assert person_data is not None and person_data["uri"] == person_uri
        assert person_data["display_name"] == "Asha"
        assert person_data["following"] == [{"actor": group.uri, "state": "accepted"}]
        text = json.dumps(exported.as_dict())
        assert "PRIVATE KEY" not in text and "private" not in text
        # Case folding beyond ASCII (SQLite's lower() would miss this).
        assert [r["title"] for r in (await export_person(session, "élodie")).items] == ["Rides"]
        # A group of that name is not a person.
        assert (await export_person(session, "riverside")).empty
        activities_before = await _count(session, OutgoingActivity)
        assert activities_before == 7  # six Creates, one Delete

    async with ctx.sessions.begin() as session:
        erased = await erase_person(session, "ASHA")
    assert sorted(r["title"] for r in erased.items) == [
        "Glucose strips",
        "Insulin pens",
        "Spare fridge",
    ]
    assert erased.person == person_uri
    assert erased.as_dict()["person_deleted"] == person_uri

    async with ctx.sessions() as session:
        rows = {r.title: r for r in (await session.execute(select(AidItemRow))).scalars()}
        # The published items stay as they were; only the local note of the name is gone.
        assert len(rows) == 6
        assert rows["Insulin pens"].requested_by is None
        assert rows["Spare fridge"].requested_by is None
        assert rows["Glucose strips"].requested_by is None
        assert rows["Glucose strips"].status == "withdrawn"
        assert rows["Insulin pens"].status == "open"
        assert rows["Blankets"].requested_by == "Ravi"
        assert rows["Rides"].requested_by == "Élodie"
        assert item_record(rows["Blankets"], include_requester=False).get("requested_by") is None
        assert (await session.execute(select(Actor).where(Actor.uri == person_uri))).first() is None
        assert await _count(session, Follow) == 0
        # Nothing was sent: the name never left the instance, and the items did not change.
        assert await _count(session, OutgoingActivity) == activities_before
        assert (await export_person(session, "asha")).empty

    async with ctx.sessions.begin() as session:
        again = await erase_person(session, "asha")
    assert again.empty and again.as_dict() == {
        "name": "asha",
        "items_cleared": [],
        "person_deleted": None,
    }


async def test_empty_name_is_refused(make_instance) -> None:  # type: ignore[no-untyped-def]
    inst = await make_instance(start=False)
    async with inst.ctx.sessions() as session:
        with pytest.raises(ValueError, match="name must not be empty"):
            await export_person(session, "  ")
        with pytest.raises(ValueError, match="name must not be empty"):
            await erase_person(session, "")
