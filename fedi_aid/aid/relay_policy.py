"""Which needs and offers a group passes on to its followers. Pure.

A group relays an object when its policy accepts it (kind, category, urgency, distance from the
group's home) and the object may travel further: public, still open, and within the hop budget
its author set. `hop_count` is how many relays the object went through before reaching us; our
relay would be number hop_count + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fedi_aid.aid.categories import ancestors
from fedi_aid.aid.geo import haversine_km
from fedi_aid.aid.model import URGENCIES, AidItem


@dataclass(frozen=True)
class RelayPolicy:
    enabled: bool = True
    kinds: tuple[str, ...] = ("need",)
    categories: tuple[str, ...] = field(default_factory=tuple)  # empty: every category
    min_urgency: str = "high"
    max_distance_km: float | None = 100.0

    def __post_init__(self) -> None:
        if self.min_urgency not in URGENCIES:
            raise ValueError(f"min_urgency must be one of {', '.join(URGENCIES)}")
        if not self.kinds or any(k not in ("need", "offer") for k in self.kinds):
            raise ValueError("kinds must be need, offer or both")
        if self.max_distance_km is not None and self.max_distance_km <= 0:
            raise ValueError("max_distance_km must be positive")


DEFAULT_POLICY = RelayPolicy()


def policy_record(policy: RelayPolicy, group: Any) -> dict[str, Any]:
    """The policy and the group's home, as the CLI and the API show them."""
    return {
        "group": group.username,
        "enabled": policy.enabled,
        "kinds": list(policy.kinds),
        "categories": list(policy.categories),
        "min_urgency": policy.min_urgency,
        "max_distance_km": policy.max_distance_km,
        "home": {
            "name": group.home_place_name,
            "latitude": group.home_latitude,
            "longitude": group.home_longitude,
            "radius_km": group.home_radius_km,
        },
    }


def refusal(
    policy: RelayPolicy,
    item: AidItem,
    home: tuple[float, float] | None,
    hop_count: int,
) -> str | None:
    """None when the group should relay `item`; else the reason it does not."""
    if not policy.enabled:
        return "relaying is off"
    if item.visibility != "public":
        return "only public items travel"
    if item.status not in ("open", "partly_met"):
        return f"the item is {item.status}"
    if hop_count + 1 > (item.hop_budget or 0):
        return "the hop budget is spent"
    if item.kind not in policy.kinds:
        return f"this group does not relay {item.kind}s"
    if URGENCIES.index(item.urgency) < URGENCIES.index(policy.min_urgency):
        return f"urgency {item.urgency} is below {policy.min_urgency}"
    if policy.categories and not any(
        c == item.category or c in ancestors(item.category) for c in policy.categories
    ):
        return "category not relayed by this group"
    point = item.place.coarse() if item.place and item.place.has_point else None
    if policy.max_distance_km is not None and home is not None and point is not None:
        distance = haversine_km(home, (point.latitude, point.longitude))  # type: ignore[arg-type]
        if distance > policy.max_distance_km:
            return f"{distance:.0f} km away, farther than {policy.max_distance_km:g} km"
    return None
