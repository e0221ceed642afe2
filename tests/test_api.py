"""The native API (/api/aid/v1/) over real HTTP on a running instance, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import jsonschema
import pytest
from sqlalchemy import select

from fedi_aid.aid.api_input import ApiInputError, parse_changes, parse_create
from fedi_aid.clock import utcnow
from fedi_aid.db.actors import get_local_actor
from fedi_aid.db.models import ApiToken, OutgoingActivity
from fedi_aid.db.tokens import (
    create_token,
    find_token_group,
    hash_token,
    list_tokens,
    revoke_token,
)
from fedi_aid.web.api_query import (
    decode_cursor,
    encode_cursor,
    parse_bearer,
    parse_item_id,
    parse_list_query,
)
from fedi_aid.web.openapi import build_openapi
from tests.harness import Instance, settle

PREFIX = "/api/aid/v1"
JAIPUR = (26.9124, 75.7873)
AMER = (26.9855, 75.8513)  # about 10 km from Jaipur's centre
DELHI = (28.6139, 77.2090)  # about 240 km away


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Api:
    instance: Instance
    http: aiohttp.ClientSession
    riverside: str  # token of the group riverside
    hilltop: str  # token of the group hilltop

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.instance.base_url}{PREFIX}{path}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.url(path), data=data, params=params, headers=sent
        ) as response:
            return Reply(response.status, response.headers, await response.text())

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def create(self, kind: str = "needs", token: str | None = None, **fields: Any) -> Any:
        body = {"title": "Insulin pens", "category": "insulin", "quantity": 20, "unit": "pens"}
        reply = await self.call(
            "POST", f"/{kind}", token=token or self.riverside, body=body | fields
        )
        assert reply.status == 201, reply.text
        return reply.json


async def _token(instance: Instance, name: str) -> str:
    async with instance.ctx.sessions.begin() as session:
        group = await get_local_actor(session, name)
        return await create_token(session, group, f"tests for {name}", utcnow())


@pytest.fixture
async def api(make_instance) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    instance = await make_instance()
    await instance.create_group("riverside", display_name="Riverside Mutual Aid")
    await instance.create_group("hilltop")
    async with aiohttp.ClientSession() as http:
        yield Api(
            instance, http, await _token(instance, "riverside"), await _token(instance, "hilltop")
        )


def _schema(name: str) -> dict[str, Any]:
    doc = build_openapi("http://aid.example")
    return {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}


def assert_matches(data: Any, schema_name: str) -> None:
    jsonschema.Draft202012Validator(
        _schema(schema_name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def assert_error(reply: Reply, status: int, field: str) -> None:
    assert reply.status == status, (field, reply.status, reply.text)
    assert reply.headers["Content-Type"].startswith("application/json"), reply.headers
    data = reply.json
    assert_matches(data, "Error")
    assert field in data["error"], (field, data)


# ---- pure parsing ---------------------------------------------------------------------------


def test_parsing_keeps_decimals_and_names_fields() -> None:
    now = utcnow()
    draft = parse_create(
        "need",
        {
            "title": " Rice ",
            "category": "#Groceries",
            "quantity": "12.50",
            "unit": "kg",
            "visibility": "followers-only",
            "place": {"latitude": 26.9, "longitude": 75.8},
        },
        now,
    )
    assert (draft.title, draft.quantity, draft.visibility) == (
        "Rice",
        Decimal("12.50"),
        "followers",
    )
    assert draft.category == "https://fedi-aid.org/ns/categories/food/groceries"
    assert (draft.place_name, draft.latitude, draft.longitude) == (None, 26.9, 75.8)
    assert parse_changes({"place": {"radius_km": 3}, "expires_at": None}, now) == {
        "radius_km": 3.0,
        "expires_at": None,
    }
    with pytest.raises(ApiInputError) as caught:
        parse_changes({"place": {"name": "X", "latitude": 1}}, now)
    assert caught.value.field == "place.longitude" and caught.value.status == 400
    assert parse_bearer("Bearer abc ") == "abc" and parse_bearer("bearer abc") == "abc"
    assert parse_bearer("Basic abc") is None and parse_bearer(None) is None
    assert parse_item_id("42") == 42 and parse_item_id("0") is None
    assert parse_item_id("9" * 19) is None and parse_item_id("٤٢") is None
    assert decode_cursor(encode_cursor(12345)) == 12345
    query = parse_list_query([("limit", "5"), ("cursor", encode_cursor(9)), ("origin", "remote")])
    assert (query.limit, query.after_id, query.local, query.status) == (5, 9, False, None)


# ---- tokens -----------------------------------------------------------------------------


async def test_tokens_store_only_a_hash_and_can_be_revoked(api: Api) -> None:
    instance = api.instance
    async with instance.ctx.sessions() as session:
        riverside = await get_local_actor(session, "riverside")
        rows = (await session.execute(select(ApiToken))).scalars().all()
        assert {row.token_hash for row in rows} == {
            hash_token(api.riverside),
            hash_token(api.hilltop),
        }
        assert all(api.riverside not in (row.token_hash, row.label) for row in rows)
        assert [t.label for t in await list_tokens(session, riverside)] == ["tests for riverside"]
    assert len(api.riverside) >= 40

    reply = await api.get("/needs", token=api.riverside)
    assert reply.status == 200
    async with instance.ctx.sessions.begin() as session:
        riverside = await get_local_actor(session, "riverside")
        (token,) = await list_tokens(session, riverside)
        assert token.last_used_at is not None
        hilltop = await get_local_actor(session, "hilltop")
        with pytest.raises(Exception, match="no API token"):
            await revoke_token(session, hilltop, token.id)  # not hilltop's to revoke
        await revoke_token(session, riverside, token.id)
    async with instance.ctx.sessions.begin() as session:
        assert await find_token_group(session, api.riverside, utcnow()) is None
        assert (await find_token_group(session, api.hilltop, utcnow())).username == "hilltop"
        assert await find_token_group(session, "x" * 500, utcnow()) is None
    reply = await api.call("POST", "/needs", token=api.riverside, body={"title": "x"})
    assert_error(reply, 401, "Authorization")


async def test_writes_need_a_valid_token(api: Api) -> None:
    body = {"title": "Water", "category": "water", "quantity": 5, "unit": "cans"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        reply = await api.call("POST", "/needs", body=body, headers=headers)
        assert_error(reply, 401, "Authorization")
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert "wrong" not in reply.text
    item = await api.create()
    for method, path in (
        ("PATCH", f"/needs/{item['id']}"),
        ("POST", f"/needs/{item['id']}/withdraw"),
    ):
        reply = await api.call(method, path, body={"title": "changed"})
        assert_error(reply, 401, "Authorization")
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    # A bad token on a read is refused too, rather than quietly treated as anonymous.
    assert (await api.get("/needs", headers={"Authorization": "Bearer nope"})).status == 401
    listed = (await api.get("/needs")).json["items"]
    assert [i["id"] for i in listed] == [item["id"]] and listed[0]["title"] == "Insulin pens"


async def test_another_groups_token_is_forbidden(api: Api) -> None:
    item = await api.create(title="Generator", category="power/generator", quantity=1, unit="unit")
    reply = await api.call(
        "PATCH", f"/needs/{item['id']}", token=api.hilltop, body={"title": "Mine"}
    )
    assert_error(reply, 403, "another group")
    reply = await api.call("POST", f"/needs/{item['id']}/withdraw", token=api.hilltop)
    assert_error(reply, 403, "another group")
    shown = (await api.get(f"/needs/{item['id']}")).json
    assert shown["title"] == "Generator" and shown["status"] == "open"
    # The id of a need is not the id of an offer.
    assert_error(await api.get(f"/offers/{item['id']}"), 404, "no offer")


# ---- create, show, list -------------------------------------------------------------------


async def test_create_show_list_round_trip(api: Api) -> None:
    body = {
        "title": "Insulin pens",
        "description": "For three families in the east ward.",
        "category": "medicine/insulin",
        "quantity": "20",
        "unit": "pens",
        "urgency": "high",
        "place": {
            "name": "Riverside (Jaipur)",
            "latitude": 26.91234,
            "longitude": 75.78731,
            "radius_km": 5,
        },
        "expires": "3d",
        "content_warning": "medical",
        "requested_by": "Asha (flat 4)",
    }
    reply = await api.call("POST", "/needs", token=api.riverside, body=body)
    assert reply.status == 201, reply.text
    created = reply.json
    assert_matches(created, "Item")
    assert reply.headers["Location"] == f"{api.instance.base_url}{PREFIX}/needs/{created['id']}"
    base = api.instance.base_url
    assert created["uri"].startswith(f"{base}/needs/") and created["url"] == created["uri"]
    assert created["kind"] == "need" and created["local"] is True
    assert created["category"] == {
        "uri": "https://fedi-aid.org/ns/categories/medicine/insulin",
        "label_en": "Insulin",
        "label_hi": "इंसुलिन",
    }
    assert (created["quantity"], created["remaining"], created["unit"]) == ("20", "20", "pens")
    assert created["urgency"] == "high" and created["status"] == "open"
    assert created["place"] == {
        "name": "Riverside (Jaipur)",
        "latitude": 26.91,  # coarse: rounded to about 1 km
        "longitude": 75.79,
        "radius_km": 5,
    }
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", created["expires_at"])
    assert created["expires_at"] > created["published"]
    assert created["visibility"] == "public" and created["content_warning"] == "medical"
    assert created["group"] == {
        "uri": f"{base}/users/riverside",
        "handle": f"riverside@{api.instance.host}",
        "name": "Riverside Mutual Aid",
    }
    assert created["requested_by"] == "Asha (flat 4)"  # the owner sees who asked

    shown = await api.get(reply.headers["Location"])
    assert shown.status == 200 and shown.headers["Content-Type"].startswith("application/json")
    public = {k: v for k, v in created.items() if k not in ("requested_by", "direct_to")}
    assert shown.json == public
    assert_matches(shown.json, "Item")
    listed = await api.get("/needs")
    assert listed.json == {"items": [public], "next": None}
    assert "Link" not in listed.headers
    assert_matches(listed.json, "ItemList")
    assert (await api.get("/offers")).json == {"items": [], "next": None}

    offer = await api.create(
        "offers",
        title="Spare generator",
        category="power/generator",
        quantity=1,
        unit="generator",
        expires="2099-01-01",
    )
    assert offer["kind"] == "offer" and offer["expires_at"] == "2099-01-01T23:59:59Z"
    assert [i["id"] for i in (await api.get("/offers")).json["items"]] == [offer["id"]]
    assert [i["id"] for i in (await api.get("/needs")).json["items"]] == [created["id"]]


async def test_requested_by_never_reaches_anyone_but_the_owner(api: Api) -> None:
    secret = "Meera Devi, 12 Gali No. 3"
    item = await api.create(requested_by=secret, visibility="unlisted")
    for path in ("/needs", f"/needs/{item['id']}", "/needs?group=riverside"):
        for token in (None, api.hilltop):
            reply = await api.get(path, token=token)
            assert reply.status == 200 and secret not in reply.text, (path, token)
            assert "requested_by" not in reply.text
    assert (await api.get(f"/needs/{item['id']}", token=api.riverside)).json[
        "requested_by"
    ] == secret
    async with api.instance.ctx.sessions() as session:
        bodies = (await session.execute(select(OutgoingActivity.body))).scalars().all()
    assert bodies and all(secret not in body for body in bodies)


async def test_followers_only_and_direct_items_stay_out_of_the_public_api(api: Api) -> None:
    hidden = await api.create(
        title="Bail",
        category="money/bail-fund",
        quantity=500,
        unit="USD",
        visibility="followers-only",
    )
    direct = await api.create(
        title="Oxygen",
        category="oxygen",
        quantity=2,
        unit="cylinders",
        visibility="direct",
        direct_to=[api.instance.handle("hilltop")],
    )
    assert hidden["visibility"] == "followers"
    assert direct["direct_to"] == [f"{api.instance.base_url}/users/hilltop"]
    public = await api.create(title="Water", category="water", quantity=1, unit="tank")
    for token in (None, api.hilltop):
        ids = [i["id"] for i in (await api.get("/needs?status=all", token=token)).json["items"]]
        assert ids == [public["id"]]
        for item in (hidden, direct):
            assert_error(await api.get(f"/needs/{item['id']}", token=token), 404, "no need")
        reply = await api.call(
            "PATCH", f"/needs/{hidden['id']}", token=token or api.hilltop, body={"title": "x"}
        )
        assert_error(reply, 404, "no need")
    own = await api.get("/needs", token=api.riverside, params={"group": "riverside"})
    assert [i["id"] for i in own.json["items"]] == [public["id"], direct["id"], hidden["id"]]
    assert (await api.get(f"/needs/{hidden['id']}", token=api.riverside)).status == 200


async def test_list_filters(api: Api) -> None:
    insulin = await api.create(
        title="Insulin",
        category="medicine/insulin",
        quantity=20,
        unit="pens",
        place={"name": "Jaipur", "latitude": JAIPUR[0], "longitude": JAIPUR[1]},
    )
    antibiotics = await api.create(
        title="Amoxicillin",
        category="antibiotics",
        quantity=3,
        unit="boxes",
        place={"name": "Amer", "latitude": AMER[0], "longitude": AMER[1]},
    )
    food = await api.create(
        title="Rice",
        category="food/groceries",
        quantity=50,
        unit="kg",
        place={"name": "Delhi", "latitude": DELHI[0], "longitude": DELHI[1]},
    )
    nowhere = await api.create(
        title="Phone credit",
        category="communication",
        quantity=5,
        unit="cards",
        place={"name": "online"},
    )
    hilltops = await api.create(
        title="Blankets",
        category="shelter/bedding",
        quantity=30,
        unit="blankets",
        token=api.hilltop,
    )
    met = await api.create(title="Soap", category="hygiene/soap", quantity=10, unit="bars")
    reply = await api.call(
        "PATCH", f"/needs/{met['id']}", token=api.riverside, body={"remaining": 0}
    )
    assert reply.json["status"] == "met"
    withdrawn = await api.create(title="Tent", category="shelter/tents", quantity=1, unit="tent")
    await api.call("POST", f"/needs/{withdrawn['id']}/withdraw", token=api.riverside)

    async def ids(**params: Any) -> list[int]:
        reply = await api.get("/needs", params=params)
        assert reply.status == 200, (params, reply.text)
        return [item["id"] for item in reply.json["items"]]

    open_items = [hilltops["id"], nowhere["id"], food["id"], antibiotics["id"], insulin["id"]]
    assert await ids() == open_items  # newest first; met and withdrawn left out
    # A category lists its sub-categories, whatever form names it.
    for name in ("medicine", "Medicine", "https://fedi-aid.org/ns/categories/medicine"):
        assert await ids(category=name) == [antibiotics["id"], insulin["id"]]
    assert await ids(category="insulin") == [insulin["id"]]
    assert await ids(category="medicine/insulin") == [insulin["id"]]
    assert await ids(category="water") == []
    # Distance: Amer is ~10 km from Jaipur, Delhi ~240 km; items without a point never match.
    assert await ids(near=f"{JAIPUR[0]},{JAIPUR[1]}", within_km="20") == [
        antibiotics["id"],
        insulin["id"],
    ]
    assert await ids(near=f"{JAIPUR[0]},{JAIPUR[1]}", within_km="3") == [insulin["id"]]
    assert await ids(near=f"{JAIPUR[0]},{JAIPUR[1]}", within_km="300") == [
        food["id"],
        antibiotics["id"],
        insulin["id"],
    ]
    assert await ids(near=f"{JAIPUR[0]},{JAIPUR[1]}", within_km="20", category="food") == []
    # Status.
    assert await ids(status="met") == [met["id"]]
    assert await ids(status="withdrawn") == [withdrawn["id"]]
    assert await ids(status="all") == [withdrawn["id"], met["id"], *open_items]
    assert await ids(status="open") == open_items
    # Group, by handle, by local name, by URI; origin.
    host = api.instance.host
    assert await ids(group=f"hilltop@{host}") == [hilltops["id"]]
    assert await ids(group=f"@hilltop@{host}") == [hilltops["id"]]
    assert await ids(group=f"{api.instance.base_url}/users/hilltop") == [hilltops["id"]]
    assert await ids(group="riverside", category="medicine") == [antibiotics["id"], insulin["id"]]
    assert await ids(group="nobody@elsewhere.example") == []
    assert await ids(origin="local") == open_items
    assert await ids(origin="remote") == []


async def test_remote_items_are_listed_as_remote_and_cannot_be_changed_here(make_instance) -> None:
    a = await make_instance()
    b = await make_instance()
    await a.create_group("riverside")
    await b.create_group("hilltop")
    await a.follow("riverside", b.handle("hilltop"))
    await settle(a, b)
    token_a, token_b = await _token(a, "riverside"), await _token(b, "hilltop")
    async with aiohttp.ClientSession() as http:
        on_a = Api(a, http, token_a, token_a)
        on_b = Api(b, http, token_b, token_b)
        mine = await on_a.create(title="Local need", category="water", quantity=1, unit="tank")
        theirs = await on_b.create(
            title="Tarpaulins", category="tents", quantity=12, unit="sheets", requested_by="Ravi"
        )
        await settle(a, b)
        remote = (await on_a.get("/needs", params={"origin": "remote"})).json["items"]
        assert len(remote) == 1
        (item,) = remote
        assert_matches(item, "Item")
        assert item["uri"] == theirs["uri"] and item["local"] is False
        assert item["title"] == "Tarpaulins" and item["quantity"] == "12"
        assert item["group"]["handle"] == b.handle("hilltop")
        assert "requested_by" not in item and "Ravi" not in json.dumps(item)
        assert [i["id"] for i in (await on_a.get("/needs?origin=local")).json["items"]] == [
            mine["id"]
        ]
        by_group = await on_a.get("/needs", params={"group": b.handle("hilltop")})
        assert [i["uri"] for i in by_group.json["items"]] == [theirs["uri"]]
        reply = await on_a.call(
            "PATCH", f"/needs/{item['id']}", token=token_a, body={"remaining": 0}
        )
        assert_error(reply, 403, "another group")


async def test_pagination_is_stable(api: Api) -> None:
    created = [(await api.create(title=f"Item {n}", quantity=n + 1))["id"] for n in range(25)]
    seen: list[int] = []
    url: str | None = f"{api.instance.base_url}{PREFIX}/needs?limit=10&category=medicine"
    pages = 0
    while url is not None:
        reply = await api.get(url)
        assert reply.status == 200, reply.text
        page = reply.json
        pages += 1
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
        if url is not None:
            assert reply.headers["Link"] == f'<{url}>; rel="next"'
            assert "category=medicine" in url and "limit=10" in url
        else:
            assert "Link" not in reply.headers
        if pages == 1:  # something new arrives while the client pages
            await api.create(title="Late arrival")
        assert pages < 10
    assert pages == 3
    assert [len(seen[:10]), len(seen[10:20]), len(seen[20:])] == [10, 10, 5]
    assert seen == sorted(created, reverse=True)  # no duplicates, no gaps, newest first
    # Exactly a page's worth: no empty page at the end.
    reply = await api.get("/needs", params={"limit": "26"})
    assert len(reply.json["items"]) == 26 and reply.json["next"] is None


# ---- update and withdraw --------------------------------------------------------------------


async def test_patch_quantities_move_the_status(api: Api) -> None:
    item = await api.create(quantity=20)
    path = f"/needs/{item['id']}"

    async def patch(body: dict[str, Any]) -> Any:
        reply = await api.call("PATCH", path, token=api.riverside, body=body)
        assert reply.status == 200, reply.text
        assert_matches(reply.json, "Item")
        return reply.json

    changed = await patch({"remaining": 12})
    assert (changed["remaining"], changed["status"]) == ("12", "partly_met")
    changed = await patch({"quantity": "30.5"})  # keeps the 8 already met
    assert (changed["quantity"], changed["remaining"], changed["status"]) == (
        "30.5",
        "22.5",
        "partly_met",
    )
    changed = await patch(
        {
            "title": "Insulin pens (any brand)",
            "urgency": "critical",
            "place": {"name": "Riverside", "latitude": 26.9, "longitude": 75.8},
        }
    )
    assert changed["title"] == "Insulin pens (any brand)" and changed["urgency"] == "critical"
    assert changed["place"]["name"] == "Riverside" and changed["updated"] >= item["published"]
    changed = await patch({"remaining": 30.5})
    assert changed["status"] == "open"
    changed = await patch({"remaining": 0})
    assert (changed["remaining"], changed["status"]) == ("0", "met")
    reply = await api.call("PATCH", path, token=api.riverside, body={"remaining": 5})
    assert_error(reply, 409, "met")
    assert (await api.get(path)).json["status"] == "met"


async def test_withdraw_twice_conflicts(api: Api) -> None:
    offer = await api.create("offers", title="Van", category="transport", quantity=1, unit="van")
    path = f"/offers/{offer['id']}/withdraw"
    reply = await api.call("POST", path, token=api.riverside)
    assert reply.status == 200, reply.text
    assert reply.json["status"] == "withdrawn"
    assert_error(await api.call("POST", path, token=api.riverside), 409, "withdrawn")
    reply = await api.call(
        "PATCH", f"/offers/{offer['id']}", token=api.riverside, body={"title": "Van again"}
    )
    assert_error(reply, 409, "withdrawn")
    assert (await api.get("/offers")).json["items"] == []
    assert (await api.get(f"/offers/{offer['id']}")).json["status"] == "withdrawn"


# ---- bad input ------------------------------------------------------------------------------

GOOD = {"title": "Insulin", "category": "insulin", "quantity": 20, "unit": "pens"}
BAD_CREATES: list[tuple[dict[str, Any], str]] = [
    ({k: v for k, v in GOOD.items() if k != "title"}, "title"),
    (GOOD | {"title": "   "}, "title"),
    (GOOD | {"title": 5}, "title"),
    (GOOD | {"title": "x" * 301}, "title"),
    (GOOD | {"title": "nul\x00byte"}, "title"),
    (GOOD | {"quantity": -3}, "quantity"),
    (GOOD | {"quantity": 0}, "quantity"),
    (GOOD | {"quantity": "lots"}, "quantity"),
    (GOOD | {"quantity": True}, "quantity"),
    (GOOD | {"quantity": 1e20}, "quantity"),
    (GOOD | {"quantity": 1.23456}, "quantity"),
    ({k: v for k, v in GOOD.items() if k != "quantity"}, "quantity"),
    (GOOD | {"unit": ""}, "unit"),
    (GOOD | {"category": "unicorns"}, "category"),
    (GOOD | {"category": "https://example.org/cat/1"}, "category"),
    (GOOD | {"category": ["insulin"]}, "category"),
    (GOOD | {"place": {"name": "X", "latitude": 123, "longitude": 75}}, "place.latitude"),
    (GOOD | {"place": {"name": "X", "latitude": 26, "longitude": 200}}, "place.longitude"),
    (GOOD | {"place": {"name": "X", "latitude": 26}}, "place.longitude"),
    (GOOD | {"place": {"name": "X", "latitude": "26", "longitude": 75}}, "place.latitude"),
    (GOOD | {"place": {"name": "X", "radius_km": -1}}, "place.radius_km"),
    (GOOD | {"place": {"town": "X"}}, "place.town"),
    (GOOD | {"place": "Jaipur"}, "place"),
    (GOOD | {"expires": "next friday"}, "expires"),
    (GOOD | {"expires": "2001-01-01"}, "expires"),
    (GOOD | {"expires": 3}, "expires"),
    (GOOD | {"urgency": "whenever"}, "urgency"),
    (GOOD | {"visibility": "secret"}, "visibility"),
    (GOOD | {"visibility": "direct"}, "direct_to"),
    (GOOD | {"direct_to": ["someone@example.org"]}, "direct_to"),
    (GOOD | {"visibility": "direct", "direct_to": [5]}, "direct_to[0]"),
    (GOOD | {"visibility": "direct", "direct_to": ["nobody"]}, "direct_to[0]"),
    (GOOD | {"hop_budget": 99}, "hop_budget"),
    (GOOD | {"hop_budget": 1.5}, "hop_budget"),
    (GOOD | {"colour": "blue"}, "colour"),
    (GOOD | {"status": "met"}, "status"),
    (GOOD | {"id": 7}, "id"),
]


async def test_bad_create_bodies_name_the_field(api: Api) -> None:
    for body, field in BAD_CREATES:
        reply = await api.call("POST", "/needs", token=api.riverside, body=body)
        assert_error(reply, 400, field)
        assert reply.json.get("field") == field, (body, reply.json)
    raw = [
        (b'{"title": "Insulin",', "application/json", 400, "body"),
        (b"[1, 2]", "application/json", 400, "body"),
        (b"", "application/json", 400, "body"),
        (b"\xff\xfe", "application/json", 400, "body"),
        (b'{"quantity": NaN}', "application/json", 400, "body"),
        (b"[" * 100_000, "application/json", 400, "body"),
        (json.dumps(GOOD).encode(), "text/plain", 415, "Content-Type"),
        (json.dumps(GOOD).encode(), "application/x-www-form-urlencoded", 415, "Content-Type"),
        (json.dumps(GOOD).encode(), "", 415, "Content-Type"),
    ]
    for data, content_type, status, field in raw:
        headers = {"Content-Type": content_type} if content_type else {}
        reply = await api.call("POST", "/needs", token=api.riverside, data=data, headers=headers)
        assert_error(reply, status, field)
    too_big = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    reply = await api.call(
        "POST",
        "/needs",
        token=api.riverside,
        data=too_big,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 413 and "error" in reply.json
    assert (await api.get("/needs?status=all")).json["items"] == []  # nothing was stored


async def test_bad_changes_and_queries_name_the_field(api: Api) -> None:
    item = await api.create()
    path = f"/needs/{item['id']}"
    for body, field in [
        ({}, "body"),
        ({"remaining": -1}, "remaining"),
        ({"remaining": 21}, "remaining"),  # more than the quantity
        ({"quantity": None}, "quantity"),
        ({"status": "expired"}, "status"),
        ({"status": "open"}, "status"),
        ({"visibility": "public"}, "visibility"),
        ({"requested_by": "someone"}, "requested_by"),
        ({"place": None}, "place"),
        ({"place": {"latitude": None}}, "place.longitude"),
        ({"place": {"latitude": 91, "longitude": 0}}, "place.latitude"),
        ({"expires_at": "yesterday"}, "expires_at"),
        ({"category": "nonsense"}, "category"),
        ({"uri": "https://evil.example/x"}, "uri"),
    ]:
        reply = await api.call("PATCH", path, token=api.riverside, body=body)
        assert_error(reply, 400, field)
    reply = await api.call(
        "PATCH", path, token=api.riverside, data=b"{", headers={"Content-Type": "application/json"}
    )
    assert_error(reply, 400, "body")
    reply = await api.call(
        "PATCH", path, token=api.riverside, data=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert_error(reply, 415, "Content-Type")
    shown = (await api.get(path)).json
    assert (shown["remaining"], shown["status"], shown["title"]) == ("20", "open", "Insulin pens")

    for params, field in [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "djE6LTE"}, "cursor"),  # "v1:-1"
        ({"near": "26.9"}, "within_km"),
        ({"near": "north", "within_km": "5"}, "near"),
        ({"near": "123,75", "within_km": "5"}, "near"),
        ({"near": "26.9,75.8", "within_km": "-5"}, "within_km"),
        ({"near": "26.9,75.8", "within_km": "nan"}, "within_km"),
        ({"within_km": "5"}, "near"),
        ({"status": "lost"}, "status"),
        ({"origin": "mars"}, "origin"),
        ({"category": "unicorns"}, "category"),
        ({"group": "a@b@c"}, "group"),
        ({"colour": "blue"}, "colour"),
        ([("status", "met"), ("status", "open")], "status"),
    ]:
        assert_error(await api.get("/needs", params=params), 400, field)
    for bad_id in ("abc", "0", "-1", "99999999999999999999999", "1e3", "١"):
        assert_error(await api.get(f"/needs/{bad_id}"), 404, "no need")
    assert_error(await api.get("/needs/424242"), 404, "no need")
    assert_error(
        await api.call("POST", "/needs/424242/withdraw", token=api.riverside), 404, "no need"
    )
    reply = await api.call("DELETE", path, token=api.riverside)
    assert reply.status == 405 and "error" in reply.json


# ---- vocabulary and OpenAPI -------------------------------------------------------------------


async def test_categories(api: Api) -> None:
    reply = await api.get("/categories")
    assert reply.status == 200
    assert_matches(reply.json, "CategoryList")
    by_slug = {c["slug"]: c for c in reply.json["categories"]}
    assert by_slug["medicine/insulin"] == {
        "slug": "medicine/insulin",
        "uri": "https://fedi-aid.org/ns/categories/medicine/insulin",
        "parent": "https://fedi-aid.org/ns/categories/medicine",
        "label_en": "Insulin",
        "label_hi": "इंसुलिन",
        "hashtag": "Insulin",
        "sensitive": True,
    }
    assert by_slug["water"]["parent"] is None and "money/bail-fund" in by_slug


def _expand(canonical: str) -> list[str]:
    """/api/aid/v1/{kind}/{id} -> the documented paths for needs and offers."""
    if "{kind}" not in canonical:
        return [canonical]
    return [canonical.replace("{kind}", kind) for kind in ("needs", "offers")]


async def test_openapi_describes_every_route(api: Api) -> None:
    reply = await api.get("/openapi.json")
    assert reply.status == 200
    doc = reply.json
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": api.instance.base_url}]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert set(doc["components"]["schemas"]["Error"]["required"]) == {"error", "detail"}

    app = api.instance.runner.app  # type: ignore[union-attr]
    routed: set[tuple[str, str]] = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if not canonical.startswith(PREFIX) or route.method == "HEAD":
            continue
        for path in _expand(canonical):
            routed.add((path, route.method.lower()))
    assert routed, "no routes under /api/aid/v1"
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented paths that are not routed"
    assert all(not path.startswith("/api/v1/") for path, _ in routed)

    # Every write declares the bearer scheme and the 401 answer; every $ref resolves.
    for path, method in documented:
        operation = doc["paths"][path][method]
        if method != "get":
            assert operation["security"] == [{"bearerAuth": []}], (path, method)
            assert "401" in operation["responses"], (path, method)
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = doc
        for part in ref.split("/"):
            node = node[part]
    jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"]["Item"])


async def test_concurrent_withdraws_send_one_delete(api: Api) -> None:
    import asyncio

    item = await api.create()
    path = f"/needs/{item['id']}/withdraw"
    replies = await asyncio.gather(*[api.call("POST", path, token=api.riverside) for _ in range(6)])
    assert sorted(r.status for r in replies) == [200, 409, 409, 409, 409, 409]
    async with api.instance.ctx.sessions() as session:
        types = (await session.execute(select(OutgoingActivity.type))).scalars().all()
    assert sorted(types) == ["Create", "Delete"]
