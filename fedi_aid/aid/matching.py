"""Need <-> offer matching: which candidates fit, and how well. Pure.

A candidate fits when its category fits (equal, or one a sub-category of the other, see
categories.matches), it is open or partly met with something left, not expired, public or
unlisted, from another group, and — when both have a point — the great-circle distance between
the coarse points is within reach: the given limit, else the sum of both radii (25 km for an
item without one), never more than MAX_REACH_KM.

The score, between 0 and 1, ranks the fits (higher first):

    score = 0.4 * urgency + 0.3 * proximity + 0.3 * coverage

* urgency: the need's urgency (low 0, normal 1/3, high 2/3, critical 1);
* proximity: 1 - distance / reach (0 when a point is missing);
* coverage: how much of what the need still lacks the offer would cover, min(offer, need) / need.

Ties go to the candidate that expires first, then to the older one (smaller id).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from fedi_aid.aid import categories
from fedi_aid.aid.geo import haversine_km

DEFAULT_RADIUS_KM = 25.0
MAX_REACH_KM = 300.0
# The grid level (aid/geo.cell_id) an item's point is filed under, by its own radius: level 0
# up to 25 km (or none), 1 up to 100 km, 2 beyond. Matching then searches each level only as far
# as the widest reach an item filed there can have (level_reach_km). db/cells.py is the SQL twin.
LEVEL_RADII_KM = (25.0, 100.0)
OPEN = ("open", "partly_met")
VISIBLE = ("public", "unlisted")
WEIGHTS = {"urgency": 0.4, "proximity": 0.3, "coverage": 0.3}

# The vocabulary is fixed, so whether two categories fit never changes: ask once per pair.
_categories_fit = lru_cache(maxsize=4096)(categories.matches)


@dataclass(frozen=True)
class Candidate:
    """What matching reads of a need or offer (a row, or the item being matched)."""

    id: int
    kind: str
    category: str
    group_id: int
    remaining: Decimal
    urgency_rank: int
    status: str = "open"
    visibility: str = "public"
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    expires_at: datetime | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


@dataclass(frozen=True)
class Match:
    id: int
    score: float
    distance_km: float | None
    coverage: float


def reach_km(a: Candidate, b: Candidate, limit_km: float | None = None) -> float:
    if limit_km is not None:
        return limit_km
    total = (a.radius_km or DEFAULT_RADIUS_KM) + (b.radius_km or DEFAULT_RADIUS_KM)
    return min(total, MAX_REACH_KM)


def grid_level(radius_km: float | None) -> int:
    """The grid level of an item with this radius (see LEVEL_RADII_KM)."""
    radius = radius_km or DEFAULT_RADIUS_KM
    for level, bound in enumerate(LEVEL_RADII_KM):
        if radius <= bound:
            return level
    return len(LEVEL_RADII_KM)  # also NaN, as in SQL


def level_reach_km(source: Candidate, level: int, limit_km: float | None = None) -> float:
    """The farthest an item filed under grid `level` can be from `source` and still fit it."""
    if limit_km is not None:
        return limit_km
    if level >= len(LEVEL_RADII_KM):
        return MAX_REACH_KM
    reach = (source.radius_km or DEFAULT_RADIUS_KM) + LEVEL_RADII_KM[level]
    return reach if reach < MAX_REACH_KM else MAX_REACH_KM  # NaN too: reach_km lets all in


def related_categories(category: str) -> list[str]:
    """Every category that fits `category`: itself, its ancestors and its descendants."""
    if categories.is_wikidata_item(category):
        return [category]
    if not categories.is_known_or_wikidata(category):
        return []
    return [c.uri for c in categories.all_categories() if categories.matches(c.uri, category)]


def score_pair(
    source: Candidate, other: Candidate, now: datetime, limit_km: float | None = None
) -> Match | None:
    """How well `other` fits `source` (one a need, the other an offer), or None if it does not."""
    if {source.kind, other.kind} != {"need", "offer"} or source.group_id == other.group_id:
        return None
    need, offer = (source, other) if source.kind == "need" else (other, source)
    if other.status not in OPEN or other.visibility not in VISIBLE or other.remaining <= 0:
        return None
    if other.expires_at is not None and other.expires_at <= now:
        return None
    if not _categories_fit(offer.category, need.category):
        return None
    distance = None
    proximity = 0.0
    if source.point is not None and other.point is not None:
        distance = haversine_km(source.point, other.point)
        reach = reach_km(source, other, limit_km)
        if distance > reach:
            return None
        proximity = 1.0 - distance / reach if reach > 0 else 1.0
    elif limit_km is not None and source.point is not None:
        return None  # a distance limit was asked for and this one has no point to measure
    wanted = need.remaining
    coverage = 1.0 if wanted <= 0 else float(min(offer.remaining, wanted) / wanted)
    urgency = need.urgency_rank / 3
    score = (
        WEIGHTS["urgency"] * urgency
        + WEIGHTS["proximity"] * proximity
        + WEIGHTS["coverage"] * coverage
    )
    return Match(other.id, round(score, 6), distance, round(coverage, 6))


def rank(
    source: Candidate,
    others: list[Candidate],
    now: datetime,
    limit_km: float | None = None,
    limit: int = 20,
) -> list[Match]:
    """The fitting candidates, best first."""
    expiry = {o.id: o.expires_at for o in others}
    scored = [m for o in others if (m := score_pair(source, o, now, limit_km)) is not None]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    # The same order as sorting everything (the key is unique: it ends with the id).
    return heapq.nsmallest(limit, scored, key=lambda m: (-m.score, expiry[m.id] or far, m.id))
