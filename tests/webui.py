"""Helpers for the HTML interface tests: a site with organisers, a no-JavaScript client."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from fedi_aid.accounts import create_user
from tests.harness import Instance

PASSWORD = "correct horse battery"
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def make_site(instance: Instance) -> None:
    """Groups riverside (organised by ana) and hilltown (organised by no one here)."""
    await instance.create_group("riverside", display_name="Riverside Mutual Aid")
    await instance.create_group("hilltown", display_name="Hilltown Relief")
    await instance.set_home("riverside", "Riverside", 26.91, 75.79)
    async with instance.ctx.sessions.begin() as session:
        await create_user(session, instance.ctx, "ana", PASSWORD, groups=["riverside"])


class FormClient:
    """A browser without JavaScript: follows redirects, keeps cookies, submits forms."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers or {}
        )
        self.csrf = ""

    async def __aenter__(self) -> FormClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    def _remember(self, text: str) -> None:
        found = _CSRF_RE.search(text)
        if found:
            self.csrf = found.group(1)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        async with self.http.get(self.base_url + path, **kwargs) as response:
            text = await response.text()
        self._remember(text)
        return response.status, text

    async def post(
        self, path: str, data: dict[str, Any] | list[tuple[str, str]], *, csrf: bool = True
    ) -> tuple[int, str]:
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            fields.append(("csrf", self.csrf))
        async with self.http.post(self.base_url + path, data=fields) as response:
            text = await response.text()
        self._remember(text)
        return response.status, text

    async def login(self, name: str, password: str = PASSWORD) -> tuple[int, str]:
        await self.get("/login")
        return await self.post("/login", {"username": name, "password": password})

    def cookie_names(self) -> set[str]:
        return {cookie.key for cookie in self.http.cookie_jar}


EVIL = '<script>alert("x")</script><img src=x onerror=alert(2)>'


async def add_remote_content(instance: Instance, follower_group: str = "riverside") -> str:
    """A remote group with script tags in every text field, one of its needs, and a follow of it.

    Returns the remote need's title as stored.
    """
    from fedi_aid.clock import utcnow
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.db.models import Actor, AidItemRow, Follow

    now = utcnow()
    base = "https://evil.example"
    async with instance.ctx.sessions.begin() as session:
        actor = Actor(
            uri=f"{base}/users/evil",
            type="Group",
            local=False,
            username="evil",
            domain="evil.example",
            display_name=f"Evil {EVIL}",
            summary=f'<p>We help</p>{EVIL}<a href="javascript:alert(3)">link</a>',
            url="javascript:alert(4)",
            inbox=f"{base}/users/evil/inbox",
            created_at=now,
            updated_at=now,
        )
        session.add(actor)
        await session.flush()
        title = f"Blankets {EVIL}"
        session.add(
            AidItemRow(
                uri=f"{base}/needs/1",
                kind="need",
                local=False,
                group_id=actor.id,
                title=title,
                description=f"Cold {EVIL}",
                category="https://fedi-aid.org/ns/categories/shelter/bedding",
                quantity=10,
                remaining=10,
                unit=f"pieces {EVIL}",
                urgency="critical",
                urgency_rank=3,
                place_name=f"Riverside {EVIL}",
                latitude=26.92,
                longitude=75.8,
                visibility="public",
                status="open",
                hop_budget=2,
                url="javascript:alert(5)",
                published=now,
                updated=now,
                received_at=now,
            )
        )
        group = await get_local_actor(session, follower_group)
        session.add(
            Follow(
                uri=f"{instance.base_url}/activities/follow/evil",
                follower_id=group.id,
                followee_id=actor.id,
                state="accepted",
                created_at=now,
                updated_at=now,
            )
        )
    return title
