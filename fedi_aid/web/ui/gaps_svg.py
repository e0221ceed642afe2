"""A picture of communities and what they lack, drawn on the server as SVG. Pure.

No map tiles: each community is a dot at the average point of its open needs, projected
equirectangularly into the picture; the dot's size grows with the number of gaps and its colour
says the most urgent one; its label names the community and what it lacks most.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape

from fedi_aid.aid.gaps import GapItem
from fedi_aid.aid.model import URGENCIES

WIDTH, HEIGHT, PAD = 640, 400, 48
COLOURS = {"low": "#5b7083", "normal": "#0b5394", "high": "#b45f06", "critical": "#a4161a"}
KM_PER_DEGREE = 111.32


@dataclass
class Community:
    name: str
    latitude: float
    longitude: float
    urgency: str
    lacks: list[str] = field(default_factory=list)
    gaps: int = 0


def communities(items: Iterable[GapItem], label: Callable[[str], str]) -> list[Community]:
    """One entry per group that has at least one open item with a point."""
    grouped: dict[str, list[GapItem]] = {}
    for item in items:
        if item.latitude is not None and item.longitude is not None:
            grouped.setdefault(item.group_uri, []).append(item)
    result = []
    for group_items in grouped.values():
        urgency = max((i.urgency for i in group_items), key=URGENCIES.index)
        by_category: dict[str, int] = {}
        for i in sorted(group_items, key=lambda i: -URGENCIES.index(i.urgency)):
            by_category[i.category] = by_category.get(i.category, 0) + 1
        result.append(
            Community(
                name=group_items[0].group_name,
                latitude=sum(i.latitude for i in group_items) / len(group_items),  # type: ignore[misc]
                longitude=sum(i.longitude for i in group_items) / len(group_items),  # type: ignore[misc]
                urgency=urgency,
                lacks=[label(c) for c in list(by_category)[:2]],
                gaps=len(by_category),
            )
        )
    return sorted(result, key=lambda c: (-URGENCIES.index(c.urgency), c.name))


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw(
    found: list[Community],
    *,
    title: str,
    description: str,
    centre: tuple[float, float] | None = None,
    radius_km: float | None = None,
    lacks_word: str = "",
) -> str:
    """The SVG document (a string, every text escaped)."""
    points = [(c.latitude, c.longitude) for c in found]
    if centre is not None:
        points.append(centre)
        if radius_km:
            span = radius_km / KM_PER_DEGREE
            points += [(centre[0] - span, centre[1]), (centre[0] + span, centre[1])]
    lat_min = min((p[0] for p in points), default=0.0)
    lat_max = max((p[0] for p in points), default=0.0)
    lon_min = min((p[1] for p in points), default=0.0)
    lon_max = max((p[1] for p in points), default=0.0)
    mid_lat = (lat_min + lat_max) / 2
    squeeze = max(math.cos(math.radians(mid_lat)), 0.05)
    span_x = max((lon_max - lon_min) * squeeze, 0.05)
    span_y = max(lat_max - lat_min, 0.05)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    cx = (lon_min + lon_max) / 2
    cy = (lat_min + lat_max) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (
            WIDTH / 2 + (lon - cx) * squeeze * scale,
            HEIGHT / 2 - (lat - cy) * scale,
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gaps" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="gaps-title gaps-desc">',
        f'<title id="gaps-title">{escape(title)}</title>',
        f'<desc id="gaps-desc">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfcfd"/>',
    ]
    if centre is not None:
        x, y = project(*centre)
        if radius_km:
            r = radius_km / KM_PER_DEGREE * scale
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="none" stroke="#9aa5b1" '
                'stroke-dasharray="6 4"/>'
            )
        parts.append(
            f'<path d="M{x - 7:.1f} {y:.1f}h14M{x:.1f} {y - 7:.1f}v14" stroke="#1a1a1a" '
            'stroke-width="2"/>'
        )
    placed: list[tuple[float, float, float, float]] = []  # label boxes: x0, x1, y0, y1
    for community in sorted(found, key=lambda c: -c.latitude):
        x, y = project(community.latitude, community.longitude)
        radius = 7 + 3 * min(community.gaps, 6)
        colour = COLOURS.get(community.urgency, COLOURS["normal"])
        name = _short(community.name)
        lacks = _short(f"{lacks_word} {', '.join(community.lacks)}".strip(), 36)
        anchor = "end" if x > WIDTH * 0.65 else "start"
        tx = x - radius - 4 if anchor == "end" else x + radius + 4
        width = 7.5 * max(len(name), len(lacks))
        x0, x1 = (tx - width, tx) if anchor == "end" else (tx, tx + width)
        ty = y - 2
        # Move the label down until it overlaps no label placed before it.
        while any(
            x0 < b1 and b0 < x1 and ty - 14 < c1 and c0 < ty + 20 for b0, b1, c0, c1 in placed
        ):
            ty += 8
        placed.append((x0, x1, ty - 14, ty + 20))
        leader = ""
        if ty - (y - 2) > radius:
            leader = (
                f'<path d="M{x:.1f} {y:.1f}L{tx:.1f} {ty - 4:.1f}" stroke="{colour}" '
                'stroke-width="1"/>'
            )
        parts.append(
            f'<g>{leader}<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" '
            f'fill-opacity="0.8" stroke="#fff" stroke-width="2"/>'
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="14" '
            f'font-weight="700" fill="#1a1a1a">{escape(name)}</text>'
            f'<text x="{tx:.1f}" y="{ty + 17:.1f}" text-anchor="{anchor}" font-size="12" '
            f'fill="#333">{escape(lacks)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
