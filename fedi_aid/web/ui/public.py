"""Pages anyone can see: home, a group, a need or offer, "near me", remote follow, language."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.geo import haversine_km
from fedi_aid.db.actors import find_local_actor, list_local_actors
from fedi_aid.db.aid_items import ItemFilter, list_items
from fedi_aid.db.follows import list_followers, list_following
from fedi_aid.db.models import Actor, AidItemRow
from fedi_aid.db.places import find_place_point
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui import i18n, pledging
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import error_page, render, safe_next

# `name@host`, `@name@host` or just `host` (optionally with a port).
_ACCOUNT_RE = re.compile(r"^@?(?:[^@\s/]+@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?)$")
NEAR_RADIUS_MAX_KM = 1000.0
NEAR_LIMIT = 50


def by_urgency(rows: list[AidItemRow]) -> list[AidItemRow]:
    return sorted(rows, key=lambda row: (-row.urgency_rank, -row.id))


async def home(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        groups = await list_local_actors(session, "Group")
        needs = await list_items(session, ItemFilter(kind="need"), limit=60)
        offers = await list_items(session, ItemFilter(kind="offer"), limit=10)
    return await render(
        request,
        "home.html",
        {"groups": groups, "needs": by_urgency(needs)[:20], "offers": offers},
    )


async def render_profile(
    request: web.Request, actor: Actor, *, account: str = "", account_error: str | None = None
) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        followers = len(await list_followers(session, actor))
        following = len(await list_following(session, actor, state="accepted"))
        needs = await list_items(session, ItemFilter(kind="need", group_uri=actor.uri), limit=100)
        offers = await list_items(session, ItemFilter(kind="offer", group_uri=actor.uri))
    context = {
        "actor": actor,
        "handle": f"@{actor.username}@{ctx.settings.host}",
        "followers": followers,
        "following": following,
        "needs": by_urgency(needs),
        "offers": offers,
        "account": account,
        "account_error": account_error,
    }
    return await render(request, "group.html", context, status=400 if account_error else 200)


async def render_item(request: web.Request, row: AidItemRow) -> web.Response:
    return await render(request, "item.html", await item_context(request, row))


async def item_context(request: web.Request, row: AidItemRow) -> dict[str, Any]:
    return {"row": row, **await pledging.item_extras(request, row)}


async def remote_follow(request: web.Request) -> web.StreamResponse:
    """The remote-follow form: send the visitor to their own server to follow this group."""
    ctx = request.app[CONTEXT_KEY]
    async with ctx.sessions() as session:
        actor = await find_local_actor(session, request.match_info["name"])
    if actor is None or actor.type == "Application":
        return await error_page(request, 404, _("There is no group with that name here."))
    account = request.query.get("account", "").strip()
    match = _ACCOUNT_RE.match(account.lower())
    if not match or "." not in match.group(1).split(":")[0]:
        message = _("Give your account as you@your.server, for example ana@mastodon.social.")
        return await render_profile(request, actor, account=account, account_error=message)
    target = f"https://{match.group(1)}/authorize_interaction?uri={quote(actor.uri, safe='')}"
    # Set as it is: the uri parameter stays percent-encoded.
    return web.Response(status=303, headers={"Location": target})


def coordinate_field(query: dict[str, str], name: str, label: str) -> float | None:
    raw = query.get(name, "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("{field} must be a number.").format(field=label)) from None
    if not value.is_finite():
        raise ValueError(_("{field} must be a number.").format(field=label))
    return float(value)


async def near(request: web.Request) -> web.Response:
    """Open needs and offers within a radius of a place or a point, nearest first."""
    query = dict(request.query)
    form = {
        "kind": query.get("kind", ""),
        "category": query.get("category", ""),
        "place": query.get("place", "").strip(),
        "lat": query.get("lat", "").strip(),
        "lon": query.get("lon", "").strip(),
        "radius": query.get("radius", "").strip() or "25",
    }
    context: dict[str, Any] = {"form": form, "results": None, "error": None, "point": None}
    if not (form["place"] or form["lat"] or form["lon"]):
        return await render(request, "near.html", context)
    try:
        filters, point = await _near_filters(request, form)
    except ValueError as exc:
        context["error"] = str(exc)
        return await render(request, "near.html", context, status=400)
    async with request.app[CONTEXT_KEY].sessions() as session:
        rows = await list_items(session, filters, limit=NEAR_LIMIT)
    results = sorted(
        ((haversine_km(point[1:], (row.latitude, row.longitude)), row) for row in rows),  # type: ignore[arg-type]
        key=lambda pair: (pair[0], -pair[1].urgency_rank),
    )
    context.update(results=results, point=point)
    return await render(request, "near.html", context)


async def _near_filters(
    request: web.Request, form: dict[str, str]
) -> tuple[ItemFilter, tuple[str, float, float]]:
    radius = coordinate_field(form, "radius", _("Radius"))
    if radius is None or not 0 < radius <= NEAR_RADIUS_MAX_KM:
        raise ValueError(
            _("The radius must be between 0 and {max} km.").format(
                max=i18n.number(NEAR_RADIUS_MAX_KM)
            )
        )
    lat = coordinate_field(form, "lat", _("Latitude"))
    lon = coordinate_field(form, "lon", _("Longitude"))
    if (lat is None) != (lon is None):
        raise ValueError(_("Give both latitude and longitude, or a place name."))
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(
                _("Latitude must be between -90 and 90, longitude between -180 and 180.")
            )
        point = (form["place"] or f"{lat:.2f}, {lon:.2f}", lat, lon)
    else:
        async with request.app[CONTEXT_KEY].sessions() as session:
            found = await find_place_point(session, form["place"])
        if found is None:
            raise ValueError(
                _("We do not know where “{place}” is. Give latitude and longitude instead.").format(
                    place=form["place"]
                )
            )
        point = found
    category = None
    if form["category"]:
        try:
            category = resolve_category(form["category"])
        except UnknownCategory:
            raise ValueError(_("Unknown category.")) from None
    kind = form["kind"] if form["kind"] in ("need", "offer") else None
    filters = ItemFilter(kind=kind, category=category, near=point[1:], within_km=radius)
    return filters, point


async def switch_language(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    lang = form.get("lang", "")
    if lang not in i18n.available_languages():
        return await error_page(request, 400, _("That language is not available here."))
    response = web.HTTPSeeOther(safe_next(form.get("next")))
    secure = request.app[CONTEXT_KEY].settings.base_url.startswith("https://")
    response.set_cookie(
        i18n.COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax", secure=secure
    )
    raise response
