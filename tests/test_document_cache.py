"""Actor documents and WebFinger answers served from memory, and never stale past a change."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import update

from fedi_aid.db.models import Actor
from fedi_aid.web.document_cache import DocumentCache
from fedi_aid.web.keys import DOCUMENTS_KEY

AP = {"Accept": "application/activity+json"}


async def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.json(content_type=None)


def documents_of(instance: Any) -> DocumentCache:
    return instance.runner.app[DOCUMENTS_KEY]


async def test_an_in_process_change_is_served_at_once(make_instance: Any) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    url = f"{a.base_url}/users/riverside"
    status, first = await get_json(url, AP)
    assert status == 200 and "location" not in first
    assert documents_of(a).get("actor:riverside") is not None  # the second GET is a lookup

    await a.set_home("riverside", "Riverside", 26.91, 75.79)
    status, second = await get_json(url, AP)
    assert second["location"]["name"] == "Riverside"
    assert second["publicKey"] == first["publicKey"]


async def test_a_change_by_another_process_shows_when_the_ttl_runs_out(make_instance: Any) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    url = f"{a.base_url}/users/riverside"
    await get_json(url, AP)
    # A write outside any ORM session is what the change counters cannot see, like one made
    # by the CLI in another process.
    async with a.ctx.engine.begin() as connection:
        await connection.execute(
            update(Actor).where(Actor.username == "riverside").values(summary="<p>changed</p>")
        )
    _, cached = await get_json(url, AP)
    assert "changed" not in (cached.get("summary") or "")

    documents = documents_of(a)
    real_clock = documents.clock
    documents.clock = lambda: real_clock() + documents.ttl + 0.1
    _, fresh = await get_json(url, AP)
    assert "changed" in fresh["summary"]


async def test_a_missing_actor_is_not_remembered(make_instance: Any) -> None:
    a = await make_instance()
    resource = f"acct:later@{a.host}"
    webfinger = f"{a.base_url}/.well-known/webfinger?resource={resource}"
    assert (await get_json(f"{a.base_url}/users/later", AP))[0] == 404
    assert (await get_json(webfinger))[0] == 404

    await a.create_group("later")
    status, jrd = await get_json(webfinger)
    assert status == 200 and jrd["subject"] == resource
    status, doc = await get_json(f"{a.base_url}/users/later", AP)
    assert status == 200 and doc["preferredUsername"] == "later"
    # The cached answer is byte for byte the rendered one, headers included.
    async with aiohttp.ClientSession() as http, http.get(webfinger) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.content_type == "application/jrd+json"


async def test_a_zero_ttl_keeps_nothing(make_instance: Any) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    documents_of(a).ttl = 0.0
    assert (await get_json(f"{a.base_url}/users/riverside", AP))[0] == 200
    assert documents_of(a).entries == {}
