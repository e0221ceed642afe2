"""Gap discovery: what open needs (or, for abundance, offers) add up to, by community. Pure.

Rows come from db/gaps.py (the needs this instance knows of — local, followed, relayed — near a
point); here they are grouped by community (group), category and unit, so that an organiser
sees one line per "Hilltown lacks 40 insulin pens, critical, since Monday, 5 pledged".
Quantities in different units are never added up. Also: the CSV export with HXL hashtags that
humanitarian tools (HDX, HXL Proxy) read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from fedi_aid.activitypub.to_as import format_decimal
from fedi_aid.aid import categories
from fedi_aid.aid.model import URGENCIES


@dataclass(frozen=True)
class GapItem:
    """One open need or offer, as gap discovery reads it."""

    uri: str
    kind: str
    title: str
    group_uri: str
    group_name: str
    category: str
    quantity: Decimal
    remaining: Decimal
    unit: str
    urgency: str
    place_name: str | None
    latitude: float | None
    longitude: float | None
    distance_km: float | None
    published: datetime
    expires_at: datetime | None
    status: str
    pledged: Decimal = Decimal(0)  # proposed pledges we hold for it (ours only)


@dataclass
class Gap:
    group_uri: str
    group_name: str
    category: str
    unit: str
    place_name: str | None
    distance_km: float | None
    items: int = 0
    missing: Decimal = Decimal(0)  # what is still needed (or, for offers, still available)
    covered: Decimal = Decimal(0)  # confirmed/delivered so far (quantity - remaining)
    pledged: Decimal = Decimal(0)  # proposed pledges known here, not yet confirmed
    urgency: str = "low"
    since: datetime | None = None
    uris: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group_uri,
            "group_name": self.group_name,
            "place": self.place_name,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 1),
            "category": self.category,
            "category_label": categories.label(self.category)
            if categories.is_known_or_wikidata(self.category)
            else self.category,
            "missing": format_decimal(self.missing),
            "unit": self.unit,
            "urgency": self.urgency,
            "since": self.since.isoformat() if self.since else None,
            "covered": format_decimal(self.covered),
            "pledged": format_decimal(self.pledged),
            "items": self.items,
            "uris": self.uris,
        }


def aggregate(items: Iterable[GapItem]) -> list[Gap]:
    """One line per (group, category, unit); most urgent first, then most missing, then nearest."""
    gaps: dict[tuple[str, str, str], Gap] = {}
    for item in items:
        key = (item.group_uri, item.category, item.unit)
        gap = gaps.get(key)
        if gap is None:
            gap = gaps[key] = Gap(
                item.group_uri,
                item.group_name,
                item.category,
                item.unit,
                item.place_name,
                item.distance_km,
            )
        gap.items += 1
        gap.missing += item.remaining
        gap.covered += item.quantity - item.remaining
        gap.pledged += item.pledged
        gap.uris.append(item.uri)
        if URGENCIES.index(item.urgency) > URGENCIES.index(gap.urgency) or gap.items == 1:
            gap.urgency = item.urgency
            gap.place_name = item.place_name or gap.place_name
        if gap.since is None or item.published < gap.since:
            gap.since = item.published
        if item.distance_km is not None and (
            gap.distance_km is None or item.distance_km < gap.distance_km
        ):
            gap.distance_km = item.distance_km
    far = float("inf")
    return sorted(
        gaps.values(),
        key=lambda g: (-URGENCIES.index(g.urgency), -g.missing, g.distance_km or far, g.group_uri),
    )


GAP_COLUMNS = [
    ("group_name", "#org+name"),
    ("group", "#org+id"),
    ("place", "#loc+name"),
    ("distance_km", "#geo+distance+km"),
    ("category_label", "#sector+name"),
    ("category", "#sector+code"),
    ("missing", "#value+missing"),
    ("unit", "#value+unit"),
    ("urgency", "#severity"),
    ("since", "#date+start"),
    ("covered", "#value+covered"),
    ("pledged", "#value+pledged"),
    ("items", "#meta+count"),
]
ITEM_COLUMNS = [
    ("uri", "#meta+id"),
    ("kind", "#meta+type"),
    ("title", "#item+name"),
    ("group", "#org+id"),
    ("place", "#loc+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("category", "#sector+code"),
    ("category_label", "#sector+name"),
    ("quantity", "#value+total"),
    ("remaining", "#value+remaining"),
    ("unit", "#value+unit"),
    ("urgency", "#severity"),
    ("status", "#status"),
    ("published", "#date+start"),
    ("expires", "#date+end"),
]


def item_row(item: GapItem) -> dict[str, object]:
    label = (
        categories.label(item.category)
        if categories.is_known_or_wikidata(item.category)
        else item.category
    )
    return {
        "uri": item.uri,
        "kind": item.kind,
        "title": item.title,
        "group": item.group_uri,
        "place": item.place_name or "",
        "latitude": "" if item.latitude is None else item.latitude,
        "longitude": "" if item.longitude is None else item.longitude,
        "category": item.category,
        "category_label": label,
        "quantity": format_decimal(item.quantity),
        "remaining": format_decimal(item.remaining),
        "unit": item.unit,
        "urgency": item.urgency,
        "status": item.status,
        "published": item.published.isoformat(),
        "expires": item.expires_at.isoformat() if item.expires_at else "",
    }


def to_hxl_csv(rows: Iterable[dict[str, object]], columns: list[tuple[str, str]]) -> str:
    """CSV with a header row, then the HXL hashtag row, then the data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    writer.writerow([tag for _, tag in columns])
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name, _ in columns])
    return out.getvalue()
