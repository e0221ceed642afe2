"""The relay policy over the native API: token required, changes kept, bad input named."""

from __future__ import annotations

import aiohttp

from fedi_aid.clock import utcnow
from fedi_aid.db.relays import get_policy
from fedi_aid.db.tokens import create_token


async def test_relay_policy_api(make_instance) -> None:
    instance = await make_instance()
    group = await instance.create_group("town")
    async with instance.ctx.sessions.begin() as session:
        token = await create_token(session, await session.merge(group), "test", utcnow())
    url = f"{instance.base_url}/api/aid/v1/relay-policy"
    auth = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 401
        async with http.get(url, headers=auth) as response:
            shown = await response.json()
        assert shown["kinds"] == ["need"] and shown["min_urgency"] == "high"

        change = {"kinds": ["need", "offer"], "categories": ["insulin"], "max_distance_km": None}
        async with http.put(url, json=change, headers=auth) as response:
            assert response.status == 200, await response.text()
            changed = await response.json()
        assert changed["categories"] == ["https://fedi-aid.org/ns/categories/medicine/insulin"]
        assert changed["max_distance_km"] is None and changed["min_urgency"] == "high"

        for bad, field in (
            ({"kinds": ["gift"]}, "kinds"),
            ({"min_urgency": "whenever"}, "min_urgency"),
            ({"max_distance_km": -3}, "max_distance_km"),
            ({"categories": ["nonsense"]}, "categories"),
            ({"colour": "red"}, "colour"),
        ):
            async with http.put(url, json=bad, headers=auth) as response:
                assert response.status == 400, bad
                assert (await response.json())["error"].startswith(field), bad
    async with instance.ctx.sessions() as session:
        kept = await get_policy(session, await session.merge(group))
    assert kept.kinds == ("need", "offer") and kept.max_distance_km is None
