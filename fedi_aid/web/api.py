"""The native JSON API under /api/aid/v1/ (never /api/v1/, which is Mastodon's client API).

Each handler parses (aid/api_input.py for bodies, web/api_query.py for the URL), calls one
step (web/api_actions.py) and renders.
Errors are `{"error": "<field>: <what is wrong>", "detail": "<reason phrase>", "field": ...}`:
400 for any bad input, 415 for a body not sent as JSON, 401 without a valid bearer token,
403 for another group's item, 404 for an unknown or invisible item, 409 for a change the item's
lifecycle does not allow. The OpenAPI document is at /api/aid/v1/openapi.json.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from yarl import URL

from fedi_aid.aid.api_input import (
    CREATE_FIELDS,
    KIND_BY_PATH,
    UPDATE_FIELDS,
    ApiInputError,
    parse_changes,
    parse_create,
    read_json_object,
)
from fedi_aid.aid.publish import AidError
from fedi_aid.clock import utcnow
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor
from fedi_aid.web import api_actions
from fedi_aid.web.api_actions import ApiDenied
from fedi_aid.web.api_query import encode_cursor, parse_bearer, parse_item_id, parse_list_query
from fedi_aid.web.api_render import categories_json
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.openapi import build_openapi
from fedi_aid.web.responses import json_response

PREFIX = "/api/aid/v1"
KINDS = "{kind:needs|offers}"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, Any] = {"error": message, "detail": web.Response(status=status).reason}
    if field is not None:
        body["field"] = field
    return json_response(body, status=status, headers=headers)


def _answers_errors(handler: Handler) -> Handler:
    """Turn the API's exceptions into JSON errors; anything else is the middleware's 500."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiInputError as exc:
            return api_error(exc.status, exc.message, exc.field)
        except ApiDenied as exc:
            return api_error(exc.status, exc.message, headers=exc.headers)
        except AidError as exc:
            return api_error(exc.status, exc.message, _field_named(exc.message))
        except NotFound as exc:
            return api_error(404, str(exc))

    return wrapped


_SERVICE_FIELDS = frozenset((*UPDATE_FIELDS, *CREATE_FIELDS))


def _field_named(message: str) -> str | None:
    """The field a service message starts with ("remaining (21) must not exceed ..."), if any."""
    match = re.match(r"[a-z_]+", message)
    return match.group(0) if match and match.group(0) in _SERVICE_FIELDS else None


def _kind(request: web.Request) -> str:
    return KIND_BY_PATH[request.match_info["kind"]]


def _item_id(request: web.Request) -> int:
    item_id = parse_item_id(request.match_info["id"])
    if item_id is None:
        raise NotFound(f"no {_kind(request)} with id {request.match_info['id']!r}")
    return item_id


async def _viewer(request: web.Request, *, required: bool) -> Actor | None:
    token = parse_bearer(request.headers.get("Authorization"))
    if token is None and "Authorization" in request.headers:
        token = ""  # present but not Bearer: answer 401, do not fall back to anonymous
    return await api_actions.authenticate(request.app[CONTEXT_KEY], token, required=required)


async def _token_group(request: web.Request) -> Actor:
    group = await _viewer(request, required=True)
    if group is None:  # authenticate() raises 401 first; this keeps the type honest
        raise ApiDenied(401, "Authorization: a bearer token is required")
    return group


async def _json_body(request: web.Request) -> dict[str, Any]:
    return read_json_object(await request.read(), request.headers.get("Content-Type", ""))


def _item_location(request: web.Request, item_id: int) -> str:
    ctx = request.app[CONTEXT_KEY]
    return ctx.settings.url(f"{PREFIX}/{request.match_info['kind']}/{item_id}")


# ---- handlers ---------------------------------------------------------------------------


@_answers_errors
async def list_view(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    query = parse_list_query(request.query.items())
    viewer = await _viewer(request, required=False)
    items, last_id = await api_actions.list_page(ctx, _kind(request), query, viewer)
    next_url = None
    headers = {"Vary": "Authorization"}
    if last_id is not None:
        pairs = [(k, v) for k, v in request.query.items() if k != "cursor"]
        pairs.append(("cursor", encode_cursor(last_id)))
        next_url = str(URL(ctx.settings.url(request.path)).with_query(pairs))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return json_response({"items": items, "next": next_url}, headers=headers)


@_answers_errors
async def show_view(request: web.Request) -> web.StreamResponse:
    item_id = _item_id(request)
    viewer = await _viewer(request, required=False)
    item = await api_actions.show_item(request.app[CONTEXT_KEY], _kind(request), item_id, viewer)
    return json_response(item, headers={"Vary": "Authorization"})


@_answers_errors
async def create_view(request: web.Request) -> web.StreamResponse:
    group = await _token_group(request)
    draft = parse_create(_kind(request), await _json_body(request), utcnow())
    item = await api_actions.create_item(request.app[CONTEXT_KEY], group, draft)
    return json_response(
        item, status=201, headers={"Location": _item_location(request, item["id"])}
    )


@_answers_errors
async def update_view(request: web.Request) -> web.StreamResponse:
    item_id = _item_id(request)
    group = await _token_group(request)
    changes = parse_changes(await _json_body(request), utcnow())
    ctx = request.app[CONTEXT_KEY]
    item = await api_actions.change_item(ctx, group, _kind(request), item_id, changes)
    return json_response(item)


@_answers_errors
async def withdraw_view(request: web.Request) -> web.StreamResponse:
    item_id = _item_id(request)
    group = await _token_group(request)
    ctx = request.app[CONTEXT_KEY]
    item = await api_actions.withdraw(ctx, group, _kind(request), item_id)
    return json_response(item)


async def categories_view(request: web.Request) -> web.StreamResponse:
    return json_response(categories_json())


async def openapi_view(request: web.Request) -> web.StreamResponse:
    return json_response(build_openapi(request.app[CONTEXT_KEY].settings.base_url))


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get(f"{PREFIX}/openapi.json", openapi_view)
    router.add_get(f"{PREFIX}/categories", categories_view)
    router.add_get(f"{PREFIX}/{KINDS}", list_view)
    router.add_post(f"{PREFIX}/{KINDS}", create_view)
    router.add_get(f"{PREFIX}/{KINDS}/{{id}}", show_view)
    router.add_patch(f"{PREFIX}/{KINDS}/{{id}}", update_view)
    router.add_post(f"{PREFIX}/{KINDS}/{{id}}/withdraw", withdraw_view)
