"""The HTML interface without JavaScript: a plain HTTP client submits every form.

Also: CSRF, login failures and their rate limit, organisers confined to their own groups, and
remote content shown inert. The same pages in a real browser: tests/test_web_browser.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select

from fedi_aid.accounts import find_user, grant_group
from fedi_aid.clock import utcnow
from fedi_aid.db.actors import get_local_actor
from fedi_aid.db.models import AidItemRow, ApiToken
from fedi_aid.db.relays import get_policy
from fedi_aid.db.tokens import find_token_group
from fedi_aid.follows import following_of
from fedi_aid.web.ui.security import LIMITER_KEY
from tests.harness import settle
from tests.webui import EVIL, PASSWORD, FormClient, add_remote_content, make_site

FLASH_RE = re.compile(r'class="flash[^"]*"[^>]*>([^<]*)')


def flashes(html: str) -> list[str]:
    return FLASH_RE.findall(html)


async def _row(instance, title: str) -> AidItemRow:
    async with instance.ctx.sessions() as session:
        rows = await session.execute(select(AidItemRow).where(AidItemRow.title == title))
        return rows.scalars().unique().one()


async def test_every_form_works_without_javascript(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    await make_site(a)
    await a.create_group("closed", display_name="Closed Circle", locked=True)
    async with a.ctx.sessions.begin() as session:
        ana = await find_user(session, "ana")
        await grant_group(session, ana, await get_local_actor(session, "closed"))
    await b.create_group("valley")
    until = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d")

    async with FormClient(a.base_url) as web:
        status, page = await web.login("ana")
        assert status == 200 and "Your groups" in page  # two groups: the chooser
        status, page = await web.get("/admin/riverside/needs/new")
        assert status == 200
        status, page = await web.post(
            "/admin/riverside/needs/new",
            {
                "title": "Tarpaulins",
                "category": "shelter/tents",
                "quantity": "10",
                "unit": "sheets",
                "urgency": "high",
                "description": "Roofs in Ward 2",
                "place_name": "Riverside",
                "latitude": "26.9123",
                "longitude": "75.7871",
                "radius_km": "3",
                "expires": until,
                "visibility": "public",
                "requested_by": "Asha (ward 2)",
            },
        )
        assert status == 200 and flashes(page) == ["Posted the need “Tarpaulins”."]
        row = await _row(a, "Tarpaulins")
        assert (row.latitude, row.longitude, row.requested_by) == (26.91, 75.79, "Asha (ward 2)")
        assert row.expires_at.strftime("%Y-%m-%d") == until

        # A bad value comes back with the field named, and the typed values kept.
        status, page = await web.post(
            "/admin/riverside/needs/new",
            {"title": "Rice", "category": "food", "quantity": "lots", "unit": "kg"},
        )
        assert status == 400 and "quantity: must be a number" in page and 'value="Rice"' in page

        status, page = await web.get("/@riverside")
        assert status == 200 and "Tarpaulins" in page and "Asha" not in page
        item_path = row.uri.removeprefix(a.base_url)

        # A visitor pledges; the organiser confirms; the bar moves.
        async with FormClient(a.base_url) as visitor:
            await visitor.get(item_path)
            status, page = await visitor.post(
                f"{item_path}/pledge", {"quantity": "4", "name": "Meera", "message": "Friday"}
            )
            assert status == 200 and "4 more promised" in page
            status, page = await visitor.post(f"{item_path}/pledge", {"quantity": "0", "name": "X"})
            assert status == 400 and "must be greater than zero" in page
        status, page = await web.get("/admin/riverside/pledges")
        assert "Meera" in page and "Friday" in page
        pledge_id = re.search(r"/admin/riverside/pledges/(\d+)", page).group(1)
        status, page = await web.post(
            f"/admin/riverside/pledges/{pledge_id}", {"action": "confirm"}
        )
        assert flashes(page) == ["Pledge updated."]
        status, page = await web.get(item_path)
        assert "4 of 10 sheets met" in page and 'style="width: 40.0%"' in page

        # Edit: only what changed is sent; then withdraw.
        status, page = await web.get(f"/admin/riverside/items/{row.id}")
        assert 'value="Tarpaulins"' in page
        status, page = await web.post(
            f"/admin/riverside/items/{row.id}",
            {"title": "Tarpaulins, large", "quantity": "10", "remaining": "6", "unit": "sheets"},
        )
        assert flashes(page) == ["Saved."]
        assert (await _row(a, "Tarpaulins, large")).remaining == 6

        status, page = await web.get("/near?place=riverside&radius=10")
        assert status == 200 and "Tarpaulins, large" in page
        status, page = await web.get("/gaps?place=Riverside&radius=50")
        assert status == 200 and "<svg" in page and "Tents and tarpaulins" in page

        status, page = await web.post(f"/admin/riverside/items/{row.id}/withdraw", {})
        assert flashes(page) == ["Withdrew “Tarpaulins, large”."]
        assert (await _row(a, "Tarpaulins, large")).status == "withdrawn"
        status, _page = await web.get(item_path)
        assert status == 410

        # Relay policy.
        status, page = await web.post(
            "/admin/riverside/relay",
            [
                ("enabled", "on"),
                ("kinds", "need"),
                ("kinds", "offer"),
                ("min_urgency", "normal"),
                ("max_distance_km", "50"),
                ("categories", "water"),
                ("categories", "food"),
            ],
        )
        assert flashes(page) == ["Relay policy saved."]
        async with a.ctx.sessions() as session:
            policy = await get_policy(session, await get_local_actor(session, "riverside"))
        assert policy.kinds == ("need", "offer") and policy.min_urgency == "normal"
        assert policy.max_distance_km == 50 and len(policy.categories) == 2

        # Tokens: shown once, work, can be revoked.
        status, page = await web.post("/admin/riverside/tokens", {"label": "phone bot"})
        token = re.search(r'id="new-token" class="handle" readonly value="([^"]+)"', page).group(1)
        async with a.ctx.sessions.begin() as session:
            assert (await find_token_group(session, token, utcnow())).username == "riverside"
            token_id = (await session.execute(select(ApiToken.id))).scalar_one()
        status, page = await web.get("/admin/riverside/tokens")
        assert "phone bot" in page and token not in page
        status, page = await web.post(f"/admin/riverside/tokens/{token_id}/revoke", {})
        assert flashes(page) == ["Token revoked."]
        async with a.ctx.sessions.begin() as session:
            assert await find_token_group(session, token, utcnow()) is None

        # Follows across instances: follow by handle, approve a request, unfollow.
        status, page = await web.post(
            "/admin/riverside/follows", {"action": "follow", "handle": b.handle("valley")}
        )
        assert flashes(page) == [f"Follow request sent to {b.handle('valley')}."]
        await b.follow("valley", a.handle("closed"))
        await settle(a, b)
        status, page = await web.get("/admin/riverside/follows")
        assert "@valley@" in page and "accepted" in page
        status, page = await web.get("/admin/closed/follows")
        assert "Requests waiting for approval" in page and "@valley@" in page
        valley_uri = b.base_url + "/users/valley"
        status, page = await web.post(
            "/admin/closed/follows", {"action": "approve", "handle": valley_uri}
        )
        assert flashes(page) == [f"Accepted {valley_uri}."]
        await settle(a, b)
        assert [f.state for f in await following_of(b.ctx, "valley")] == ["accepted"]
        status, page = await web.post(
            "/admin/riverside/follows", {"action": "unfollow", "handle": valley_uri}
        )
        assert flashes(page) == [f"No longer following {valley_uri}."]
        status, page = await web.post(
            "/admin/riverside/follows", {"action": "follow", "handle": "nobody@127.0.0.1:1"}
        )
        assert flashes(page)[0].startswith("Could not do that:")

        # Language switch, then log out.
        status, page = await web.post("/lang", {"lang": "hi", "next": "/@riverside"})
        assert status == 200 and '<html lang="hi">' in page and "ज़रूरतें" in page
        status, page = await web.post("/logout", {})
        assert "आप लॉग आउट हो गए हैं।" in page
        status, page = await web.get("/admin/riverside")
        assert '<form method="post" action="/login"' in page

    # Remote follow sends the visitor to their own server.
    async with FormClient(a.base_url) as visitor:
        async with visitor.http.get(
            a.base_url + "/@riverside/remote-follow?account=me@social.example",
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            actor = quote(a.base_url + "/users/riverside", safe="")
            assert response.headers["Location"] == (
                f"https://social.example/authorize_interaction?uri={actor}"
            )
        status, page = await visitor.get("/@riverside/remote-follow?account=not an account")
        assert status == 400 and "you@your.server" in page


async def test_csrf_logins_other_groups_and_remote_content(make_instance) -> None:
    a = await make_instance()
    await make_site(a)
    theirs = await a.post("hilltown", title="Hilltown water", category="water", unit="litres")
    remote_title = await add_remote_content(a)

    async with FormClient(a.base_url) as web:
        # No session yet, or a token that is not the session's: 403, nothing done.
        status, page = await web.post(
            "/login", {"username": "ana", "password": "x" * 12}, csrf=False
        )
        assert status == 403 and "did not come from this site" in page
        await web.get("/login")
        web.csrf = "forged-" + web.csrf
        status, page = await web.post("/login", {"username": "ana", "password": PASSWORD})
        assert status == 403
        # A wrong password: a clear message and no session.
        await web.get("/login")
        status, page = await web.post("/login", {"username": "ana", "password": "wrong password"})
        assert status == 401 and "Wrong user name or password." in page
        status, page = await web.get("/admin")
        assert '<form method="post" action="/login"' in page  # sent back to the login form
        status, page = await web.post("/login", {"username": "nobody", "password": PASSWORD})
        assert status == 401 and "Wrong user name or password." in page

        status, page = await web.login("ana")
        assert status == 200 and "Post a need" in page
        status, page = await web.post(
            "/admin/riverside/needs/new",
            {"title": "Forged", "category": "water", "quantity": "1", "unit": "l"},
            csrf=False,
        )
        assert status == 403
        async with a.ctx.sessions() as session:
            forged = await session.execute(select(AidItemRow).where(AidItemRow.title == "Forged"))
            assert forged.first() is None

        # Another group's need: neither through its group's pages nor through ours.
        status, page = await web.get(f"/admin/hilltown/items/{theirs.id}")
        assert status == 403 and "You do not organise this group." in page
        status, page = await web.post(f"/admin/hilltown/items/{theirs.id}/withdraw", {})
        assert status == 403
        status, page = await web.post(
            f"/admin/riverside/items/{theirs.id}",
            {"title": "Taken over", "quantity": "1", "unit": "l"},
        )
        assert status == 404
        status, page = await web.post(f"/admin/riverside/items/{theirs.id}/withdraw", {})
        assert status == 404
        row = await _row(a, "Hilltown water")
        assert row.status == "open"

        # Remote content: escaped text, sanitised HTML, no javascript: links.
        for path in ("/", "/near?lat=26.91&lon=75.79&radius=20", "/admin/riverside/follows"):
            status, page = await web.get(path)
            assert status == 200, path
            assert page.count("<script") == 1  # ours: <script src="/static/ui.js">
            assert "<img" not in page  # so its onerror= is text, not an attribute
            assert "javascript:" not in page, path
        status, page = await web.get("/")
        assert "Blankets &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert remote_title not in page
        status, page = await web.get("/admin/riverside/follows")
        assert "<p>We help</p>" in page  # the harmless part of the remote summary survives
        assert EVIL not in page

        # A group's blocks; only an administrator blocks for the whole instance.
        block = {"action": "block", "kind": "domain", "target": "spam.example", "reason": "spam"}
        status, page = await web.post("/admin/riverside/blocks", block)
        assert flashes(page) == ["Blocked spam.example."] and "<code>spam.example</code>" in page
        status, page = await web.post("/admin/riverside/blocks", {**block, "scope": "instance"})
        assert status == 403
        status, page = await web.post(
            "/admin/riverside/blocks", {**block, "kind": "actor", "target": "not a handle"}
        )
        assert flashes(page)[0].startswith("Could not do that:")
        status, page = await web.post("/admin/riverside/blocks", {**block, "action": "unblock"})
        assert flashes(page) == ["Unblocked spam.example."] and "Nothing blocked." in page

    # The login rate limit: after N failures (5 by default) even the right password waits.
    a.runner.app[LIMITER_KEY].per_name = 2  # fewer slow argon2 checks in this test
    async with FormClient(a.base_url) as web:
        await web.get("/login")
        for _ in range(2):
            status, _page = await web.post("/login", {"username": "ana", "password": "nope nope"})
            assert status == 401
        status, page = await web.post("/login", {"username": "ana", "password": PASSWORD})
        assert status == 429 and "Too many failed logins" in page
        assert "fedi_aid_session" in web.cookie_names()
        status, page = await web.get("/admin")
        assert '<form method="post" action="/login"' in page
