"""The Mastodon client API driven by Mastodon.py, the real client library, against real instances.

Mastodon.py is synchronous (requests): its calls run in a thread so that the servers on this
event loop keep answering.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from mastodon import Mastodon, MastodonAPIError
from sqlalchemy import select

from fedi_aid.accounts import create_user
from fedi_aid.aid.pledge_actions import pledge_locally
from fedi_aid.db.aid_items import ItemFilter, list_items
from fedi_aid.db.follows import list_following
from fedi_aid.db.models import AidItemRow, InboxItem
from tests.harness import Instance, settle

OOB = "urn:ietf:wg:oauth:2.0:oob"
PASSWORD = "correct horse battery"
SCOPES = ["read", "write", "follow"]


async def add_user(instance: Instance, name: str, groups: tuple[str, ...] = ()) -> None:
    async with instance.ctx.sessions.begin() as session:
        await create_user(session, instance.ctx, name, PASSWORD, groups=groups)


async def approve_in_browser(url: str, username: str, password: str = PASSWORD) -> str:
    """Do what a person does on /oauth/authorize: log in, approve; return the code shown."""
    # Browsers keep cookies for 127.0.0.1; aiohttp's jar does only when told to.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as response:
            assert response.status == 200, await response.text()
            page = await response.text()
        fields = dict(re.findall(r'<input type=hidden name="?([\w_]+)"? value="([^"]*)"', page))
        fields.update(username=username, password=password, decision="approve")
        action = str(response.url.with_path("/oauth/authorize").with_query(None))
        async with http.post(action, data=fields, allow_redirects=False) as response:
            body = await response.text()
            if response.status == 302:
                return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
            assert response.status == 200, body
        match = re.search(r"<code id=code>([^<]+)</code>", body)
        assert match, body
        return match.group(1)


async def mastodon_client(
    instance: Instance, username: str, scopes: list[str] = SCOPES
) -> Mastodon:
    base = instance.base_url
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app, "fedi-aid test", scopes=scopes, redirect_uris=OOB, api_base_url=base
    )
    client = await asyncio.to_thread(
        Mastodon,
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=base,
        version_check_mode="created",
    )
    url = await asyncio.to_thread(
        client.auth_request_url, redirect_uris=OOB, scopes=scopes, allow_http=True
    )
    code = await approve_in_browser(url, username)
    await asyncio.to_thread(
        client.log_in, code=code, redirect_uri=OOB, scopes=scopes, allow_http=True
    )
    return client


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)


async def test_mastodon_py_posts_a_need_follows_a_remote_group_and_reads_its_need(
    make_instance,
) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("riverside")
    await b.create_group("hilltown")
    await add_user(a, "alice", ("riverside",))
    client = await mastodon_client(a, "alice")
    assert client.mastodon_major == 4  # the version answer enabled the 4.x features

    me = await call(client.account_verify_credentials)
    assert me["acct"] == "alice" and me["username"] == "alice"

    posted = await call(client.status_post, "#need 20 insulin pens #Riverside by Friday")
    assert posted["account"]["acct"] == "riverside"
    assert "insulin pens" in posted["content"]
    async with a.ctx.sessions() as session:
        [item] = await list_items(session, ItemFilter(kind="need"))
        assert (item.title, item.quantity, item.unit, item.place_name) == (
            "insulin pens",
            20,
            "pens",
            "Riverside",
        )
        assert item.category.endswith("medicine/insulin") and item.expires_at is not None
        assert item.group.username == "riverside" and item.url == posted["url"]

    home = await call(client.timeline_home)
    assert [s["id"] for s in home] == [posted["id"]]
    local = await call(client.timeline_local)
    assert [s["id"] for s in local] == [posted["id"]]
    tagged = await call(client.timeline_hashtag, "Insulin")
    assert [s["id"] for s in tagged] == [posted["id"]]

    found = await call(client.search_v2, f"@hilltown@{b.host}", resolve=True)
    [group] = found["accounts"]
    assert group["acct"] == f"hilltown@{b.host}" and group["group"] is True
    relation = await call(client.account_follow, group["id"])
    assert relation["requested"] is True
    await settle(a, b)
    [relation] = await call(client.account_relationships, group["id"])
    assert relation["following"] is True

    need = await b.post(
        "hilltown", title="Blankets", category="shelter/bedding", quantity=30, unit="blankets"
    )
    await settle(a, b)
    home = await call(client.timeline_home)
    assert [s["url"] for s in home] == [need.uri, posted["url"]]
    assert home[0]["account"]["acct"] == f"hilltown@{b.host}"
    assert "Blankets" in home[0]["content"]
    # the federated timeline has both, the local one only ours
    federated = await call(client.timeline_public)
    assert {s["url"] for s in federated} == {need.uri, posted["url"]}
    remote_only = await call(client.timeline_public, remote=True)
    assert [s["url"] for s in remote_only] == [need.uri]

    favourited = await call(client.status_favourite, home[0]["id"])
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1
    await call(client.status_favourite, home[0]["id"])  # a repeat sends nothing more
    await settle(a, b)
    alice_uri = (await a.actor("alice")).uri
    [like] = await _received(b, "Like")
    assert (like["actor"], like["object"]) == (alice_uri, need.uri)
    await call(client.status_unfavourite, home[0]["id"])
    await settle(a, b)
    [undo] = await _received(b, "Undo")
    assert undo["object"]["id"] == like["id"] and undo["object"]["type"] == "Like"
    await call(client.status_favourite, posted["id"])  # our own need: nothing leaves
    await settle(a, b)
    assert len(await _received(b, "Like")) == 1
    boosted = await call(client.status_reblog, home[0]["id"])
    assert boosted["reblog"]["id"] == home[0]["id"] and boosted["account"]["acct"] == "alice"
    await call(client.status_unreblog, home[0]["id"])
    await call(client.account_unfollow, group["id"])
    await settle(a, b)
    [relation] = await call(client.account_relationships, group["id"])
    assert relation["following"] is False


async def _received(instance: Instance, type_: str) -> list[dict[str, Any]]:
    """The activities of a type that reached an instance's inboxes (stored, signed, verified)."""
    async with instance.ctx.sessions() as session:
        rows = await session.execute(select(InboxItem.body).where(InboxItem.type == type_))
        return [body for (body,) in rows]


async def test_pagination_scoped_and_revoked_tokens_and_error_shapes(make_instance) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    await add_user(a, "alice", ("riverside",))
    for n in range(5):
        await a.post("riverside", title=f"Item {n}")
    reader = await mastodon_client(a, "alice", ["read"])
    # pagination: limit, Link header (next/prev), since_id, as Mastodon.py follows them
    first = await call(reader.timeline_local, limit=2)
    assert [s["fedi_aid"]["title"] for s in first] == ["Item 4", "Item 3"]
    second = await call(reader.fetch_next, first)
    assert [s["fedi_aid"]["title"] for s in second] == ["Item 2", "Item 1"]
    back = await call(reader.fetch_previous, second)
    assert [s["fedi_aid"]["title"] for s in back] == ["Item 4", "Item 3"]
    since = await call(reader.timeline_local, since_id=second[0]["id"])
    assert [s["fedi_aid"]["title"] for s in since] == ["Item 4", "Item 3"]
    async with aiohttp.ClientSession() as http:
        url = f"{a.base_url}/api/v1/timelines/public?local=true&limit=2&max_id={first[1]['id']}"
        async with http.get(url) as response:
            link = response.headers["Link"]
        assert f"max_id={second[1]['id']}" in link and 'rel="next"' in link
        assert f"min_id={second[0]['id']}" in link and 'rel="prev"' in link
        assert "local=true" in link
        async with http.get(f"{a.base_url}/api/v1/timelines/public?max_id=abc") as response:
            assert response.status == 422

    with pytest.raises(MastodonAPIError) as refused:
        await call(reader.status_post, "#need 5 blankets")
    assert refused.value.args[1] == 403
    assert refused.value.args[3] == "This action is outside the authorized scopes"
    assert (await call(reader.account_verify_credentials))["acct"] == "alice"

    base = a.base_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v1/timelines/home") as response:
            assert response.status == 401
            assert await response.json() == {"error": "The access token is invalid"}
        headers = {"Authorization": f"Bearer {reader.access_token}"}
        async with http.get(f"{base}/api/v1/statuses/999999", headers=headers) as response:
            assert response.status == 404
            assert await response.json() == {"error": "Record not found"}
        async with http.get(f"{base}/api/v1/accounts/nobody", headers=headers) as response:
            assert response.status == 404

    writer = await mastodon_client(a, "alice")
    for text, problem in (
        ("hello world", "start the post with #need or #offer"),
        ("#need", "say what is needed"),
        ("#need 3 tents by someday", "cannot read the expiry"),
        ("@nosuchgroup #need 3 tents", "there is no group @nosuchgroup"),
    ):
        with pytest.raises(MastodonAPIError) as invalid:
            await call(writer.status_post, text)
        assert invalid.value.args[1] == 422, text
        assert (
            invalid.value.args[3].startswith("Validation failed: ")
            and problem in invalid.value.args[3]
        )

    posted = await call(writer.status_post, "#offer 2 tents #Tents", visibility="private")
    assert posted["visibility"] == "private"
    async with aiohttp.ClientSession() as http:  # followers-only: not for anonymous readers
        async with http.get(f"{base}/api/v1/statuses/{posted['id']}") as response:
            assert response.status == 404
        group_id = posted["account"]["id"]
        async with http.get(f"{base}/api/v1/accounts/{group_id}/statuses") as response:
            listed = [status["id"] for status in await response.json()]
            assert response.status == 200 and len(listed) == 5 and posted["id"] not in listed
    assert (await call(writer.account_statuses, group_id))[0]["id"] == posted["id"]
    withdrawn = await call(writer.status_delete, posted["id"])
    assert withdrawn["id"] == posted["id"]
    assert (await a.item(posted["url"])).status == "withdrawn"
    with pytest.raises(MastodonAPIError) as gone:
        await call(writer.status, posted["id"])
    assert gone.value.args[1] == 404

    token = writer.access_token
    await call(writer.revoke_access_token, allow_http=True)
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(
            f"{base}/api/v1/accounts/verify_credentials", headers=headers
        ) as response:
            assert response.status == 401


async def test_authorization_code_with_pkce_and_a_redirect(make_instance) -> None:
    a = await make_instance()
    await add_user(a, "bob")
    base = a.base_url
    redirect = "https://app.example/callback"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/.well-known/oauth-authorization-server") as response:
            meta = await response.json()
        assert meta["code_challenge_methods_supported"] == ["S256"]
        async with http.post(
            f"{base}/api/v1/apps",
            json={
                "client_name": "pkce app",
                "redirect_uris": [redirect],
                "scopes": "read write:statuses",
            },
        ) as response:
            app = await response.json()
        assert app["redirect_uris"] == [redirect]
        async with http.post(f"{base}/api/v1/apps", data={"redirect_uris": redirect}) as response:
            assert response.status == 422
            assert await response.json() == {"error": "Validation failed: Name can't be blank"}

        query = {
            "client_id": app["client_id"],
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "read",
            "state": "xyz",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
        url = str(aiohttp.client.URL(meta["authorization_endpoint"]).with_query(query))
    # a wrong password shows the form again; without the CSRF cookie the form is refused
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as response:
            page = await response.text()
        fields = dict(re.findall(r'<input type=hidden name="?([\w_]+)"? value="([^"]*)"', page))
        wrong = {**fields, "username": "bob", "password": "wrong password", "decision": "approve"}
        async with http.post(f"{base}/oauth/authorize", data=wrong) as response:
            assert response.status == 401 and "Wrong username or password" in await response.text()
    async with aiohttp.ClientSession() as other:
        forged = {**fields, "username": "bob", "password": PASSWORD, "decision": "approve"}
        async with other.post(f"{base}/oauth/authorize", data=forged) as response:
            assert response.status == 403
    code = await approve_in_browser(url, "bob")
    token_url = meta["token_endpoint"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app["client_id"],
        "redirect_uri": redirect,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(token_url, data={**exchange, "code_verifier": "not-it"}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "invalid_grant"
        async with http.post(token_url, data={**exchange, "code_verifier": verifier}) as response:
            token = await response.json()
            assert response.status == 200, token
        assert token["scope"] == "read" and token["token_type"] == "Bearer"
        async with http.post(token_url, data={**exchange, "code_verifier": verifier}) as response:
            assert response.status == 400  # a code is used once
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        async with http.get(
            f"{base}/api/v1/accounts/verify_credentials", headers=headers
        ) as response:
            assert (await response.json())["acct"] == "bob"
        for path in ("/api/v1/filters", "/api/v2/filters", "/api/v1/lists", "/api/v1/trends/tags"):
            async with http.get(base + path, headers=headers) as response:
                assert response.status == 200 and await response.json() == [], path
        async with http.get(f"{base}/api/v2/instance") as response:
            assert (await response.json())["version"].startswith("4.3.0 (compatible; fedi-aid")


async def test_relays_follow_requests_and_notifications(make_instance) -> None:
    a, b = await make_instance(), await make_instance()
    await a.create_group("riverside")
    await a.create_group("camp", locked=True)
    await b.create_group("hilltown")
    await add_user(a, "alice", ("riverside", "camp"))
    await a.follow("riverside", b.handle("hilltown"))
    await b.follow("hilltown", a.handle("camp"))  # camp is locked: a request
    await settle(a, b)
    client = await mastodon_client(a, "alice")

    # a need from a followed group, relayed by the member's own group: original and reblog
    urgent = await b.post("hilltown", title="Water", category="water", urgency="critical")
    await settle(a, b)
    home = await call(client.timeline_home)
    assert [(s["account"]["username"], bool(s["reblog"])) for s in home] == [
        ("riverside", True),
        ("hilltown", False),
    ]
    assert home[0]["reblog"]["id"] == home[1]["id"] and home[1]["url"] == urgent.uri

    # a new follower and a follow request reach the organiser as Mastodon notifications
    follows = await call(client.notifications, types=["follow", "follow_request"])
    assert [(n["type"], n["account"]["acct"]) for n in follows] == [
        ("follow_request", f"hilltown@{b.host}")
    ]
    assert await call(client.notifications, exclude_types=["follow_request", "mention"]) == []
    await call(client.notifications_dismiss, follows[0]["id"])

    # alice answers the locked group's follow request
    me = await call(client.account_verify_credentials)
    assert me["source"]["follow_requests_count"] == 1
    [requester] = await call(client.follow_requests)
    assert requester["acct"] == f"hilltown@{b.host}"
    await call(client.follow_request_authorize, requester["id"])
    assert await call(client.follow_requests) == []
    await settle(a, b)
    hilltown = await b.actor("hilltown")
    async with b.ctx.sessions() as session:
        assert [f.state for f in await list_following(session, hilltown)] == ["accepted"]

    # a pledge on riverside's need becomes a notification about that need
    posted = await call(client.status_post, "@riverside #need 10 blankets #Bedding")
    item_id = (await a.item(posted["url"])).id
    async with a.ctx.sessions.begin() as session:
        item = await session.get(AidItemRow, item_id)
        await pledge_locally(session, a.ctx, item, "a neighbour", Decimal(5))
    [note] = await call(client.notifications)
    assert note["type"] == "mention" and note["status"]["id"] == posted["id"]
    assert note["account"]["acct"] == "riverside"
    await call(client.notifications_dismiss, note["id"])
    assert await call(client.notifications) == []
    with pytest.raises(MastodonAPIError) as several:
        await call(client.status_post, "#need 2 tents")
    assert several.value.args[1] == 422 and "@camp, @riverside" in several.value.args[3]


async def test_a_reply_to_a_need_from_an_app_is_a_pledge(make_instance) -> None:
    from sqlalchemy import select

    from fedi_aid.db.models_pledges import Pledge

    a = await make_instance()
    await a.create_group("riverside")
    await add_user(a, "bina")  # a member, not an organiser
    need = await a.post("riverside", title="Insulin pens", quantity=20)
    member = await mastodon_client(a, "bina")
    [status] = [
        s for s in await call(member.timeline_local) if s["fedi_aid"]["title"] == "Insulin pens"
    ]
    answered = await call(
        member.status_post, "I can bring 5 pens tomorrow", in_reply_to_id=status["id"]
    )
    assert answered["id"] == status["id"]
    async with a.ctx.sessions() as session:
        [pledge] = (await session.execute(select(Pledge))).scalars().all()
    assert pledge.quantity == Decimal(5) and pledge.state == "proposed"
    assert pledge.item_id == need.id and pledge.pledger_uri.endswith("/users/bina")

    with pytest.raises(MastodonAPIError) as refused:
        await call(member.status_post, "thank you all!", in_reply_to_id=status["id"])
    assert refused.value.args[1] == 422 and "how many" in refused.value.args[3]
