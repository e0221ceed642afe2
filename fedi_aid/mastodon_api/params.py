"""Request parameters as Mastodon reads them: query string, form or JSON body, merged."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fedi_aid.mastodon_api.errors import ApiError


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query, then the body (form, multipart or JSON) on top. `a[]=x&a[]=y` becomes a list."""
    params: dict[str, Any] = {}
    _merge(params, request.query.items())
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ApiError(400, "the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "the JSON body must be an object")
            params.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            _merge(params, ((k, v) for k, v in form.items() if isinstance(v, str)))
    return params


def _merge(params: dict[str, Any], items: Any) -> None:
    for key, value in items:
        if key.endswith("[]"):
            params.setdefault(key[:-2], []).append(value)
        else:
            params[key] = value


def text(params: dict[str, Any], name: str, default: str = "") -> str:
    value = params.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise ApiError(422, f"Validation failed: {name} must be text")
    return str(value)


def flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")


def id_list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if str(v)]
