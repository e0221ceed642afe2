"""Native API for finding each other: /api/aid/v1/discover and the intake queue.

Every route needs a group's bearer token: a discovery walk costs requests to other servers,
and the intake queue is the token's group's own. Errors are the API's usual
`{"error": "<field>: <problem>", "detail", "field"}`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fedi_aid.aid.api_input import ApiInputError, read_json_object
from fedi_aid.aid.publish import AidError
from fedi_aid.clock import utcnow
from fedi_aid.db.errors import NotFound
from fedi_aid.db.intake import get_intake
from fedi_aid.db.models import Actor
from fedi_aid.discovery.crawl import CrawlLimits
from fedi_aid.discovery.service import (
    MAX_REQUESTS,
    DiscoveryError,
    DiscoveryQuery,
    discover_nearby,
    discovery_json,
    parse_near,
)
from fedi_aid.intake.api_input import parse_conversion, parse_dismissal
from fedi_aid.intake.parse import suggested_title
from fedi_aid.intake.service import convert_request, dismiss_request, list_requests
from fedi_aid.web.api import PREFIX, api_error
from fedi_aid.web.api_actions import ApiDenied, authenticate
from fedi_aid.web.api_query import parse_bearer
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_MAX_REQUESTS = 300  # one API call may not make the instance crawl for minutes
API_HOST_INTERVAL = 0.2


def _answers_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiInputError as exc:
            return api_error(exc.status, exc.message, exc.field)
        except DiscoveryError as exc:
            field = str(exc).split(":", 1)[0]
            return api_error(400, str(exc), field)
        except ApiDenied as exc:
            return api_error(exc.status, exc.message, headers=exc.headers)
        except AidError as exc:
            return api_error(exc.status, exc.message)
        except NotFound as exc:
            return api_error(404, str(exc))

    return wrapped


async def _group(request: web.Request) -> Actor:
    token = parse_bearer(request.headers.get("Authorization"))
    if token is None and "Authorization" in request.headers:
        token = ""
    group = await authenticate(request.app[CONTEXT_KEY], token, required=True)
    if group is None:
        raise ApiDenied(401, "Authorization: a bearer token is required")
    return group


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ApiInputError(name, f"must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _intake_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise NotFound(f"no intake request {raw!r}")
    return int(raw)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    return read_json_object(raw, request.headers.get("Content-Type", ""))


@_answers_errors
async def discover_view(request: web.Request) -> web.StreamResponse:
    await _group(request)
    near = request.query.get("near")
    if not near:
        raise ApiInputError("near", "is required: LAT,LON")
    lat, lon = parse_near(near)
    raw_radius = request.query.get("radius_km")
    try:
        radius = float(raw_radius or "")
    except ValueError:
        raise ApiInputError(
            "radius_km", f"is required: a number of km, got {raw_radius!r}"
        ) from None
    limits = CrawlLimits(
        max_requests=_int(request, "max_requests", 200, 1, min(API_MAX_REQUESTS, MAX_REQUESTS)),
        host_interval=API_HOST_INTERVAL,
    )
    seeds = tuple(request.query.getall("seed", []))
    query = DiscoveryQuery(lat, lon, radius, _int(request, "depth", 3, 0, 6), seeds, limits)
    report = await discover_nearby(request.app[CONTEXT_KEY], query)
    return json_response(discovery_json(report))


@_answers_errors
async def intake_list_view(request: web.Request) -> web.StreamResponse:
    group = await _group(request)
    state = request.query.get("state", "pending")
    rows = await list_requests(
        request.app[CONTEXT_KEY], group.username or "", None if state == "all" else state
    )
    return json_response({"items": rows})


@_answers_errors
async def intake_convert_view(request: web.Request) -> web.StreamResponse:
    group = await _group(request)
    intake_id = _intake_id(request)
    body = await _body(request)
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        row = await get_intake(session, group, intake_id)
        title, category = suggested_title(row.text), row.category_hint
    conversion = parse_conversion(body, title, category, utcnow())
    data = await convert_request(ctx, group.username or "", intake_id, conversion)
    return json_response(data)


@_answers_errors
async def intake_dismiss_view(request: web.Request) -> web.StreamResponse:
    group = await _group(request)
    intake_id = _intake_id(request)
    reply, block = parse_dismissal(await _body(request))
    ctx = request.app[CONTEXT_KEY]
    data = await dismiss_request(ctx, group.username or "", intake_id, reply=reply, block=block)
    return json_response(data)


def setup(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/discover", discover_view)
    app.router.add_get(f"{PREFIX}/intake", intake_list_view)
    app.router.add_post(f"{PREFIX}/intake/{{id}}/convert", intake_convert_view)
    app.router.add_post(f"{PREFIX}/intake/{{id}}/dismiss", intake_dismiss_view)
