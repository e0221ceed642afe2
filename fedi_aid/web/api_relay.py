"""Native API for a group's relay policy (its token's group), under /api/aid/v1/.

GET /relay-policy                 the policy and the group's home
PUT /relay-policy                 any of {"enabled", "kinds", "categories", "min_urgency",
                                  "max_distance_km" (null: no limit)}; the rest stays
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from fedi_aid.aid.api_input import ApiInputError
from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.relay_policy import policy_record
from fedi_aid.clock import utcnow
from fedi_aid.db.relays import get_policy, save_policy
from fedi_aid.web.api import PREFIX, _answers_errors, _json_body, _token_group
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.openapi_relay import FIELDS
from fedi_aid.web.responses import json_response


def parse_policy_changes(body: dict[str, Any]) -> dict[str, Any]:
    """JSON body -> RelayPolicy fields; ApiInputError naming the field otherwise."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ApiInputError(unknown[0], f"unknown field; the policy has {', '.join(FIELDS)}")
    changes: dict[str, Any] = {}
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ApiInputError("enabled", "must be true or false")
        changes["enabled"] = body["enabled"]
    if "kinds" in body:
        kinds = body["kinds"]
        if (
            not isinstance(kinds, list)
            or not kinds
            or any(k not in ("need", "offer") for k in kinds)
        ):
            raise ApiInputError("kinds", 'must be a list of "need" and/or "offer"')
        changes["kinds"] = tuple(dict.fromkeys(kinds))
    if "categories" in body:
        if not isinstance(body["categories"], list):
            raise ApiInputError("categories", "must be a list of categories (empty: every one)")
        try:
            changes["categories"] = tuple(resolve_category(str(c)) for c in body["categories"])
        except UnknownCategory as exc:
            raise ApiInputError("categories", str(exc)) from None
    if "min_urgency" in body:
        changes["min_urgency"] = body["min_urgency"]
    if "max_distance_km" in body:
        value = body["max_distance_km"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ApiInputError("max_distance_km", "must be a number of km, or null for no limit")
        changes["max_distance_km"] = None if value is None else float(value)
    return changes


@_answers_errors
async def show_policy(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    group = await _token_group(request)
    async with ctx.sessions() as session:
        policy = await get_policy(session, group)
    return json_response(policy_record(policy, group))


@_answers_errors
async def change_policy(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    group = await _token_group(request)
    changes = parse_policy_changes(await _json_body(request))
    async with ctx.sessions.begin() as session:
        try:
            policy = replace(await get_policy(session, group), **changes)
        except ValueError as exc:
            field = next((name for name in FIELDS if name in str(exc)), None)
            raise ApiInputError(field, str(exc)) from None
        await save_policy(session, group, policy, utcnow())
    return json_response(policy_record(policy, group))


def setup(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/relay-policy", show_policy)
    app.router.add_put(f"{PREFIX}/relay-policy", change_policy)
