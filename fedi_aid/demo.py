"""Demo data for `make run`: a group with a few needs and offers a newcomer can look at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fedi_aid.aid.publish import AidDraft, post_item
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_local_actor
from fedi_aid.db.aid_items import ItemFilter, list_items
from fedi_aid.local_actors import create_local_actor

DEMO_GROUP = "riverside"
JAIPUR = {"place_name": "Riverside (Jaipur)", "latitude": 26.91, "longitude": 75.79, "radius_km": 5}


def demo_drafts() -> list[AidDraft]:
    soon = utcnow() + timedelta(days=4)
    return [
        AidDraft(
            "need",
            "Insulin pens",
            "medicine/insulin",
            20,
            "pens",
            urgency="critical",
            description="For three families in Ward 4.",
            expires_at=soon,
            **JAIPUR,
        ),
        AidDraft(
            "need",
            "Drinking water",
            "water",
            300,
            "litres",
            urgency="high",
            description="Ward 4 tanker is broken.",
            **JAIPUR,
        ),
        AidDraft("need", "Blankets", "shelter/bedding", 40, "blankets", urgency="normal", **JAIPUR),
        AidDraft(
            "offer",
            "Spare generator",
            "power/generator",
            1,
            "generator",
            description="Can lend for a week.",
            **JAIPUR,
        ),
        AidDraft(
            "offer",
            "Bail fund",
            "money/bail-fund",
            500,
            "USD",
            description="Can cover up to 500.",
            visibility="followers",
            **JAIPUR,
        ),
    ]


async def seed_demo(ctx: Context) -> dict[str, Any]:
    lines = []
    async with ctx.sessions.begin() as session:
        group = await find_local_actor(session, DEMO_GROUP)
        if group is None:
            group = await create_local_actor(
                session,
                ctx,
                "Group",
                DEMO_GROUP,
                display_name="Riverside Mutual Aid",
                summary="Neighbours sharing medicine, food and tools along the river.",
            )
            lines.append(f"created demo group @{DEMO_GROUP}@{ctx.settings.host}")
        else:
            lines.append(f"demo group @{DEMO_GROUP}@{ctx.settings.host} already there")
        existing = await list_items(
            session, ItemFilter(group_uri=group.uri, status="all", public_only=False), limit=1
        )
        if not existing:
            for draft in demo_drafts():
                await post_item(session, ctx, group, draft)
            lines.append(f"posted {len(demo_drafts())} demo needs and offers")
    lines.append(f"open {ctx.settings.base_url}/@{DEMO_GROUP} in a browser")
    return {"group": group.uri, "lines": lines}
