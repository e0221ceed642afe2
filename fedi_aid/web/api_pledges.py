"""Native API for pledges, matches, notifications and gap discovery, under /api/aid/v1/.

    GET  /pledges[?state=&item=]             the token group's pledges (token)
    POST /{needs|offers}/{id}/pledges        {"quantity", "pledger"}: own item -> a pledge typed in
                                             for someone; another instance's item -> our Offer
    POST /pledges/{id}/{confirm|deliver|decline|cancel}   {"reason"} optional (token)
    GET  /{needs|offers}/{id}/matches[?within_km=&limit=]
    GET  /gaps, /abundance ?near=&within_km=&category=&format=json|csv
    GET  /notifications[?unread=true]         (token)

Errors as in web/api.py: {"error", "detail", "field"}.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from fedi_aid.aid.api_input import KIND_BY_PATH, ApiInputError, parse_quantity
from fedi_aid.aid.gaps import GAP_COLUMNS, aggregate, to_hxl_csv
from fedi_aid.aid.pledge_actions import change_state, offer_to, pledge_locally
from fedi_aid.aid.pledge_records import match_record, notification_record, pledge_record
from fedi_aid.aid.pledges import STATES, VERBS
from fedi_aid.db.aid_items import get_item
from fedi_aid.db.errors import NotFound
from fedi_aid.db.gaps import open_items_near
from fedi_aid.db.matching import find_matches
from fedi_aid.db.pledges import list_notifications, list_pledges
from fedi_aid.web.api import KINDS, PREFIX, _answers_errors, _json_body, _token_group, _viewer
from fedi_aid.web.api_query import WITHIN_MAX_KM, _category, _limit, _near, parse_item_id
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import json_response

PLEDGER_MAX = 300


def _path_id(request: web.Request, what: str) -> int:
    value = parse_item_id(request.match_info["id"])
    if value is None:
        raise NotFound(f"no {what} with id {request.match_info['id']!r}")
    return value


def _kind(request: web.Request) -> str:
    return KIND_BY_PATH[request.match_info["kind"]]


def _within(params: Mapping[str, str]) -> float | None:
    text = params.get("within_km")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ApiInputError("within_km", f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= WITHIN_MAX_KM:
        raise ApiInputError("within_km", f"must be above 0 and at most {WITHIN_MAX_KM}")
    return value


@_answers_errors
async def list_pledges_view(request: web.Request) -> web.StreamResponse:
    group = await _token_group(request)
    state = request.query.get("state") or None
    if state is not None and state not in STATES:
        raise ApiInputError("state", f"must be one of {', '.join(STATES)}, got {state!r}")
    item_text = request.query.get("item")
    item_id = parse_item_id(item_text) if item_text else None
    if item_text and item_id is None:
        raise ApiInputError("item", f"must be an item id, got {item_text!r}")
    async with request.app[CONTEXT_KEY].sessions() as session:
        rows = await list_pledges(session, group.id, state=state, item_id=item_id)
        return json_response({"items": [pledge_record(p) for p in rows]})


@_answers_errors
async def create_pledge_view(request: web.Request) -> web.StreamResponse:
    item_id = _path_id(request, _kind(request))
    group = await _token_group(request)
    body = await _json_body(request)
    unknown = set(body) - {"quantity", "pledger"}
    if unknown:
        field = sorted(unknown)[0]
        raise ApiInputError(field, "unknown field; send quantity and, for your own item, pledger")
    if "quantity" not in body:
        raise ApiInputError("quantity", "required")
    quantity = parse_quantity(body["quantity"], "quantity", positive=True)
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions.begin() as session:
        item = await get_item(session, item_id, _kind(request))
        if item.group_id == group.id:
            pledger = body.get("pledger")
            if not isinstance(pledger, str) or not pledger.strip():
                raise ApiInputError("pledger", "required for a pledge to your own item: who is it")
            if len(pledger) > PLEDGER_MAX:
                raise ApiInputError("pledger", f"must be at most {PLEDGER_MAX} characters")
            pledge = await pledge_locally(session, ctx, item, pledger.strip(), quantity)
        elif item.local or item.visibility not in ("public", "unlisted"):
            raise NotFound(f"no {item.kind} with id {item_id}")
        else:
            pledge = await offer_to(session, ctx, group, item, quantity)
        return json_response(pledge_record(pledge), status=201)


@_answers_errors
async def change_pledge_view(request: web.Request) -> web.StreamResponse:
    pledge_id = _path_id(request, "pledge")
    group = await _token_group(request)
    reason = ""
    if request.can_read_body:
        body = await _json_body(request)
        value = body.get("reason", "")
        if not isinstance(value, str) or len(value) > 500:
            raise ApiInputError("reason", "must be text of at most 500 characters")
        reason = value.strip()
    ctx = request.app[CONTEXT_KEY]
    state = VERBS[request.match_info["verb"]]
    async with ctx.sessions.begin() as session:
        pledge = await change_state(
            session, ctx, pledge_id, state, group_id=group.id, reason=reason
        )
        return json_response(pledge_record(pledge))


@_answers_errors
async def matches_view(request: web.Request) -> web.StreamResponse:
    kind = _kind(request)
    item_id = _path_id(request, kind)
    viewer = await _viewer(request, required=False)
    within = _within(request.query)
    limit = _limit(request.query.get("limit"))
    async with request.app[CONTEXT_KEY].sessions() as session:
        item = await get_item(session, item_id, kind)
        if item.visibility not in ("public", "unlisted") and (
            viewer is None or viewer.id != item.group_id
        ):
            raise NotFound(f"no {kind} with id {item_id}")
        found = await find_matches(session, item, limit_km=within, limit=limit)
        return json_response({"items": [match_record(m, row) for m, row in found]})


def _area_view(kind: str) -> Any:
    @_answers_errors
    async def view(request: web.Request) -> web.StreamResponse:
        point, within = _near(request.query)
        category = _category(request.query.get("category"))
        fmt = request.query.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiInputError("format", f"must be json or csv, got {fmt!r}")
        async with request.app[CONTEXT_KEY].sessions() as session:
            items = await open_items_near(
                session, kind, near=point, radius_km=within, category=category
            )
        rows = [gap.as_dict() for gap in aggregate(items)]
        if fmt == "csv":
            return web.Response(
                text=to_hxl_csv(rows, GAP_COLUMNS), content_type="text/csv", charset="utf-8"
            )
        return json_response({"items": rows})

    return view


@_answers_errors
async def notifications_view(request: web.Request) -> web.StreamResponse:
    group = await _token_group(request)
    unread = request.query.get("unread", "false")
    if unread not in ("true", "false"):
        raise ApiInputError("unread", f"must be true or false, got {unread!r}")
    async with request.app[CONTEXT_KEY].sessions() as session:
        rows = await list_notifications(session, group.id, unread_only=unread == "true")
        return json_response({"items": [notification_record(n) for n in rows]})


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get(f"{PREFIX}/pledges", list_pledges_view)
    router.add_post(f"{PREFIX}/{KINDS}/{{id}}/pledges", create_pledge_view)
    verbs = "|".join(VERBS)
    router.add_post(f"{PREFIX}/pledges/{{id}}/{{verb:{verbs}}}", change_pledge_view)
    router.add_get(f"{PREFIX}/{KINDS}/{{id}}/matches", matches_view)
    router.add_get(f"{PREFIX}/gaps", _area_view("need"))
    router.add_get(f"{PREFIX}/abundance", _area_view("offer"))
    router.add_get(f"{PREFIX}/notifications", notifications_view)
