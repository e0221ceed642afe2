"""Instance information (v1 and v2), and the endpoints apps call at start-up that answer
honestly empty here: custom emojis, filters, lists, markers, announcements, trends, followed
tags, blocks, mutes, bookmarks, conversations."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from fedi_aid import SOFTWARE_NAME, __version__
from fedi_aid.context import Context
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.serializers import AVATAR_PATH
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import json_response

# Mastodon apps enable features by version: say which Mastodon API we follow.
VERSION = f"4.3.0 (compatible; {SOFTWARE_NAME} {__version__})"
MAX_CHARACTERS = 5000
# A 1x1 grey PNG: the avatar of every account (fedi-aid has no profile pictures yet).
AVATAR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
)

STATUS_CONFIG = {
    "max_characters": MAX_CHARACTERS,
    "max_media_attachments": 0,
    "characters_reserved_per_url": 23,
}
MEDIA_CONFIG = {
    "supported_mime_types": [],
    "image_size_limit": 0,
    "image_matrix_limit": 0,
    "video_size_limit": 0,
    "video_frame_rate_limit": 0,
    "video_matrix_limit": 0,
}
POLL_CONFIG = {
    "max_options": 0,
    "max_characters_per_option": 0,
    "min_expiration": 0,
    "max_expiration": 0,
}


async def _stats(ctx: Context) -> tuple[int, int, int]:
    async with ctx.sessions() as session:
        users = await session.scalar(
            select(func.count()).where(Actor.local.is_(True), Actor.type == "Person")
        )
        items = await session.scalar(select(func.count()).where(AidItemRow.local.is_(True)))
        domains = await session.scalar(
            select(func.count(func.distinct(Actor.domain))).where(Actor.local.is_(False))
        )
    return users or 0, items or 0, domains or 0


def _description(ctx: Context) -> str:
    return f"{ctx.settings.instance_name}: a fedi-aid instance where communities post needs and offers."


async def instance_v1(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    users, items, domains = await _stats(ctx)
    return json_response(
        {
            "uri": ctx.settings.host,
            "title": ctx.settings.instance_name,
            "short_description": _description(ctx),
            "description": _description(ctx),
            "email": "",
            "version": VERSION,
            "urls": {"streaming_api": ""},
            "stats": {"user_count": users, "status_count": items, "domain_count": domains},
            "thumbnail": None,
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": {
                "accounts": {"max_featured_tags": 0},
                "statuses": STATUS_CONFIG,
                "media_attachments": MEDIA_CONFIG,
                "polls": POLL_CONFIG,
            },
            "contact_account": None,
            "rules": [],
        }
    )


async def instance_v2(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    users, _, _ = await _stats(ctx)
    base = ctx.settings.base_url.rstrip("/")
    return json_response(
        {
            "domain": ctx.settings.host,
            "title": ctx.settings.instance_name,
            "version": VERSION,
            "source_url": "https://github.com/fedi-aid/fedi-aid",
            "description": _description(ctx),
            "usage": {"users": {"active_month": users}},
            "thumbnail": {"url": base + AVATAR_PATH},
            "icon": [],
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": None, "status": None},
                "vapid": {"public_key": ""},
                "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
                "statuses": STATUS_CONFIG,
                "media_attachments": MEDIA_CONFIG,
                "polls": POLL_CONFIG,
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": None},
            "rules": [],
        }
    )


async def avatar(request: web.Request) -> web.Response:
    response = web.Response(body=AVATAR_PNG, content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _constant(value: Any, scope: str | None, *, public: bool = False) -> Any:
    @endpoint(scope, public=public)
    async def answer(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
        return json_response(value)

    return answer


PREFERENCES = {
    "posting:default:visibility": "public",
    "posting:default:sensitive": False,
    "posting:default:language": "en",
    "reading:expand:media": "default",
    "reading:expand:spoilers": False,
}

# (path, JSON answer, scope, public): what exists in Mastodon and is empty here.
EMPTY: tuple[tuple[str, Any, str | None, bool], ...] = (
    ("/api/v1/custom_emojis", [], None, True),
    ("/api/v1/instance/rules", [], None, True),
    ("/api/v1/instance/peers", [], None, True),
    ("/api/v1/filters", [], "read:filters", False),
    ("/api/v2/filters", [], "read:filters", False),
    ("/api/v1/lists", [], "read:lists", False),
    ("/api/v1/markers", {}, "read:statuses", False),
    ("/api/v1/announcements", [], None, False),
    ("/api/v1/preferences", PREFERENCES, "read:accounts", False),
    ("/api/v1/trends", [], None, True),
    ("/api/v1/trends/tags", [], None, True),
    ("/api/v1/trends/statuses", [], None, True),
    ("/api/v1/trends/links", [], None, True),
    ("/api/v1/followed_tags", [], "read:follows", False),
    ("/api/v1/blocks", [], "read:blocks", False),
    ("/api/v1/mutes", [], "read:mutes", False),
    ("/api/v1/domain_blocks", [], "read:blocks", False),
    ("/api/v1/bookmarks", [], "read:bookmarks", False),
    ("/api/v1/conversations", [], "read:statuses", False),
    ("/api/v1/featured_tags", [], "read:accounts", False),
    ("/api/v1/endorsements", [], "read:accounts", False),
    ("/api/v2/suggestions", [], "read", False),
)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/instance", instance_v1)
    app.router.add_get("/api/v2/instance", instance_v2)
    app.router.add_get(AVATAR_PATH, avatar)
    for path, value, scope, public in EMPTY:
        app.router.add_get(path, _constant(value, scope, public=public))
