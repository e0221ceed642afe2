"""Demo data for `make run`: a group a newcomer can look at and follow at once."""

from __future__ import annotations

from typing import Any

from fedi_aid.context import Context
from fedi_aid.db.actors import find_local_actor
from fedi_aid.local_actors import create_local_actor

DEMO_GROUP = "riverside"


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
    lines.append(f"open {ctx.settings.base_url}/@{DEMO_GROUP} in a browser")
    return {"group": group.uri, "lines": lines}
