"""Plain server-rendered HTML: the home page and a group's profile. Everything is escaped."""

from __future__ import annotations

from html import escape

from aiohttp import web

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid.categories import label
from fedi_aid.db.actors import list_local_actors
from fedi_aid.db.aid_items import ItemFilter, list_items
from fedi_aid.db.follows import list_followers, list_following
from fedi_aid.db.models import Actor, AidItemRow
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
    async with ctx.sessions() as session:
        needs = await list_items(session, ItemFilter(kind="need"), limit=20)
        offers = await list_items(session, ItemFilter(kind="offer"), limit=10)
    needs.sort(key=lambda row: -row.urgency_rank)
    items = "".join(
        f'<li><a href="{escape(g.url or g.uri)}">{escape(g.display_name or g.username or "")}</a>'
        f" <code>@{escape(g.username or '')}@{escape(ctx.settings.host)}</code></li>"
        for g in groups
    )
    body = (
        f"<h1>{escape(ctx.settings.instance_name)}</h1>"
        "<p>A mutual-aid instance: communities publish what they need and what they can give.</p>"
        f"<h2>Groups</h2><ul>{items or '<li>No groups yet.</li>'}</ul>"
        f"<h2>Needs, most urgent first</h2>{_item_list(needs)}"
        f"<h2>Recent offers</h2>{_item_list(offers)}"
    )
    return page(ctx.settings.instance_name, body)


async def render_profile(request: web.Request, actor: Actor) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        followers = len(await list_followers(session, actor))
        following = len(await list_following(session, actor, state="accepted"))
        needs = await list_items(session, ItemFilter(kind="need", group_uri=actor.uri))
        offers = await list_items(session, ItemFilter(kind="offer", group_uri=actor.uri))
    handle = f"@{actor.username}@{ctx.settings.host}"
    body = (
        f"<h1>{escape(actor.display_name or actor.username or '')}</h1>"
        f"<p><code>{escape(handle)}</code> · {escape(actor.type)}</p>"
        f"<p>{escape(actor.summary or '')}</p>"
        f"<p>{followers} followers · {following} following</p>"
        f"<h2>Needs</h2>{_item_list(needs)}<h2>Offers</h2>{_item_list(offers)}"
        "<h2>Follow from Mastodon</h2>"
        f"<p>Search for <code>{escape(handle)}</code> in your Mastodon app and press Follow.</p>"
    )
    return page(actor.display_name or handle, body)


def _amount(row: AidItemRow) -> str:
    remaining, quantity = format_decimal(row.remaining), format_decimal(row.quantity)
    if row.kind == "need":
        return f"{remaining} of {quantity} {row.unit} still needed"
    return f"{remaining} {row.unit} available"


def _item_list(rows: list[AidItemRow]) -> str:
    if not rows:
        return "<p>Nothing open right now.</p>"
    entries = "".join(
        f'<li><a href="{escape(row.uri)}">{escape(row.title)}</a> · {escape(_amount(row))}'
        f" · {escape(row.place_name or '')} · <em>{escape(row.urgency)}</em>"
        f" · {escape(row.group.display_name or row.group.username or '')}</li>"
        for row in rows
    )
    return f"<ul>{entries}</ul>"


async def render_item(request: web.Request, row: AidItemRow) -> web.Response:
    met = 0.0
    if row.kind == "need" and row.quantity:
        met = float((row.quantity - row.remaining) / row.quantity)
    expires = row.expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.expires_at else "no date"
    body = (
        f'<p><a href="{escape(row.group.url or row.group.uri)}">'
        f"{escape(row.group.display_name or row.group.username or '')}</a></p>"
        f"<h1>{escape(row.title)}</h1>"
        f"<p>{escape('Need' if row.kind == 'need' else 'Offer')} · "
        f"{escape(label(row.category))} · <em>{escape(row.urgency)}</em> · {escape(row.status)}</p>"
        f"<p>{escape(_amount(row))}</p>"
        f'<p><progress max="1" value="{met:.3f}">{met:.0%}</progress> {met:.0%} met</p>'
        f"<p>Where: {escape(row.place_name or 'not given')} · Until: {escape(expires)}</p>"
        f"<p>{escape(row.description or '')}</p>"
    )
    return page(row.title, body)


def setup(app: web.Application) -> None:
    app.router.add_get("/", home)
