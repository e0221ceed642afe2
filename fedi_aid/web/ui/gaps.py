"""The regional gaps view: what communities near a place still lack, as a table and a picture."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.gaps import aggregate
from fedi_aid.db.gaps import open_items_near
from fedi_aid.db.places import find_place_point
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui import gaps_svg, i18n
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.public import NEAR_RADIUS_MAX_KM, coordinate_field
from fedi_aid.web.ui.render import render

GAPS_SHOWN = 100


async def gaps_page(request: web.Request) -> web.Response:
    query = request.query
    form = {
        "kind": "offer" if query.get("kind") == "offer" else "need",
        "place": query.get("place", "").strip(),
        "lat": query.get("lat", "").strip(),
        "lon": query.get("lon", "").strip(),
        "radius": query.get("radius", "").strip() or "100",
        "category": query.get("category", "").strip(),
    }
    context: dict[str, Any] = {"form": form, "error": None, "gaps": [], "svg": None, "point": None}
    try:
        centre, radius, category = await _where(request, form)
    except ValueError as exc:
        context["error"] = str(exc)
        return await render(request, "gaps.html", context, status=400)
    async with request.app[CONTEXT_KEY].sessions() as db:
        items = await open_items_near(
            db,
            form["kind"],
            near=centre[1:] if centre else None,
            radius_km=radius if centre else None,
            category=category,
        )
    gaps = aggregate(items)[:GAPS_SHOWN]
    found = gaps_svg.communities(items, i18n.category_label)
    title = (
        _("Communities and what they lack")
        if form["kind"] == "need"
        else _("Communities and what they can give")
    )
    description = "; ".join(f"{c.name}: {', '.join(c.lacks)}" for c in found) or _("None found.")
    svg = gaps_svg.draw(
        found,
        title=title,
        description=description,
        centre=centre[1:] if centre else None,
        radius_km=radius if centre else None,
        lacks_word=_("lacks:") if form["kind"] == "need" else _("gives:"),
    )
    context.update(gaps=gaps, svg=Markup(svg), point=centre, title=title)
    return await render(request, "gaps.html", context)


async def _where(
    request: web.Request, form: dict[str, str]
) -> tuple[tuple[str, float, float] | None, float, str | None]:
    category = None
    if form["category"]:
        try:
            category = resolve_category(form["category"])
        except UnknownCategory:
            raise ValueError(_("Unknown category.")) from None
    radius = coordinate_field(form, "radius", _("Radius"))
    if radius is None or not 0 < radius <= NEAR_RADIUS_MAX_KM:
        raise ValueError(
            _("The radius must be between 0 and {max} km.").format(
                max=i18n.number(NEAR_RADIUS_MAX_KM)
            )
        )
    lat = coordinate_field(form, "lat", _("Latitude"))
    lon = coordinate_field(form, "lon", _("Longitude"))
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(
                _("Latitude must be between -90 and 90, longitude between -180 and 180.")
            )
        return (form["place"] or f"{lat:.2f}, {lon:.2f}", lat, lon), radius, category
    if (lat is None) != (lon is None):
        raise ValueError(_("Give both latitude and longitude, or a place name."))
    if not form["place"]:
        return None, radius, category
    async with request.app[CONTEXT_KEY].sessions() as db:
        found = await find_place_point(db, form["place"])
    if found is None:
        raise ValueError(
            _("We do not know where “{place}” is. Give latitude and longitude instead.").format(
                place=form["place"]
            )
        )
    return found, radius, category
