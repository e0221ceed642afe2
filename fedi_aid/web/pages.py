"""Plain server-rendered HTML: the home page and a group's profile. Everything is escaped."""

from __future__ import annotations

from html import escape

from aiohttp import web

from fedi_aid.db.actors import list_local_actors
from fedi_aid.db.follows import list_followers, list_following
from fedi_aid.db.models import Actor
from fedi_aid.web.keys import CONTEXT_KEY

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;"
    "line-height:1.5;color:#111;background:#fff}a{color:#0645ad}code{background:#eee;"
    "padding:0 .2em}"
)


def page(title: str, body: str, lang: str = "en") -> web.Response:
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


async def home(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        groups = await list_local_actors(session, "Group")
    items = "".join(
        f'<li><a href="{escape(g.url or g.uri)}">{escape(g.display_name or g.username or "")}</a>'
        f" <code>@{escape(g.username or '')}@{escape(ctx.settings.host)}</code></li>"
        for g in groups
    )
    body = (
        f"<h1>{escape(ctx.settings.instance_name)}</h1>"
        "<p>A mutual-aid instance: communities publish what they need and what they can give.</p>"
        f"<h2>Groups</h2><ul>{items or '<li>No groups yet.</li>'}</ul>"
    )
    return page(ctx.settings.instance_name, body)


async def render_profile(request: web.Request, actor: Actor) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        followers = len(await list_followers(session, actor))
        following = len(await list_following(session, actor, state="accepted"))
    handle = f"@{actor.username}@{ctx.settings.host}"
    body = (
        f"<h1>{escape(actor.display_name or actor.username or '')}</h1>"
        f"<p><code>{escape(handle)}</code> · {escape(actor.type)}</p>"
        f"<p>{escape(actor.summary or '')}</p>"
        f"<p>{followers} followers · {following} following</p>"
        "<h2>Follow from Mastodon</h2>"
        f"<p>Search for <code>{escape(handle)}</code> in your Mastodon app and press Follow.</p>"
    )
    return page(actor.display_name or handle, body)


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
