"""Needs and offers as federated values, and their lifecycle. Pure.

An `AidItem` is what travels between instances. It deliberately has no field for the member who
asked: that stays in the local database and never enters this model, so no converter can leak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from fedi_aid.aid.geo import coarse_point, validate_point

KINDS = ("need", "offer")
URGENCIES = ("low", "normal", "high", "critical")  # ordered, least urgent first
VISIBILITIES = ("public", "unlisted", "followers", "direct")
STATUSES = ("open", "partly_met", "met", "withdrawn", "expired")
FINAL_STATUSES = frozenset({"met", "withdrawn", "expired"})

# The lifecycle as data. partly_met -> open covers a pledge that fell through and gave the full
# quantity back; partly_met -> partly_met is a further partial delivery.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"partly_met", "met", "withdrawn", "expired"}),
    "partly_met": frozenset({"open", "partly_met", "met", "withdrawn", "expired"}),
    "met": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}

# How many group-to-group hops a need may travel, by urgency.
HOP_BUDGETS = {"low": 1, "normal": 2, "high": 3, "critical": 5}
MAX_HOP_BUDGET = 8


class InvalidTransition(ValueError):
    pass


def _decimal(value: Decimal | int | float | str, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if result < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return result


def _check_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class Place:
    """A named area and, optionally, a point and a radius. Points leave the instance rounded."""

    name: str
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together")
        if self.latitude is not None:
            validate_point(self.latitude, self.longitude)  # type: ignore[arg-type]
        if self.radius_km is not None and not (0 <= self.radius_km < 50_000):
            raise ValueError(f"radius_km must be between 0 and 50000, got {self.radius_km!r}")

    @property
    def has_point(self) -> bool:
        return self.latitude is not None

    def coarse(self) -> Place:
        """The same place with its point rounded to about 1 km."""
        if self.latitude is None or self.longitude is None:
            return self
        lat, lon = coarse_point(self.latitude, self.longitude)
        return Place(self.name, lat, lon, self.radius_km)


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _decimal(self.value, "quantity"))
        if not isinstance(self.unit, str) or not self.unit.strip():
            raise ValueError("unit must be a non-empty string")


@dataclass(frozen=True)
class AidItem:
    """A need or an offer as published by a group.

    `remaining` is the quantity still needed (need) or still available (offer); None means all
    of it. `hop_budget` None means the default for the urgency. Quantities become Decimal.
    """

    kind: str
    uri: str
    title: str
    category: str
    quantity: Decimal
    unit: str
    group_uri: str
    published: datetime
    description: str = ""
    remaining: Decimal | None = None
    urgency: str = "normal"
    place: Place | None = None
    expires_at: datetime | None = None
    visibility: str = "public"
    direct_to: tuple[str, ...] = field(default_factory=tuple)
    status: str = "open"
    group_followers_url: str | None = None
    updated: datetime | None = None
    hop_budget: int | None = None
    content_warning: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, got {self.urgency!r}")
        if self.visibility not in VISIBILITIES:
            raise ValueError(
                f"visibility must be one of {', '.join(VISIBILITIES)}, got {self.visibility!r}"
            )
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if not self.title.strip():
            raise ValueError("title must not be empty")
        if not self.unit.strip():
            raise ValueError("unit must not be empty")
        quantity = _decimal(self.quantity, "quantity")
        remaining = quantity if self.remaining is None else _decimal(self.remaining, "remaining")
        if remaining > quantity:
            raise ValueError(f"remaining ({remaining}) must not exceed quantity ({quantity})")
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "remaining", remaining)
        object.__setattr__(self, "direct_to", tuple(self.direct_to))
        if self.visibility == "direct" and not self.direct_to:
            raise ValueError("a direct need or offer must name at least one actor in direct_to")
        if self.hop_budget is None:
            object.__setattr__(self, "hop_budget", default_hop_budget(self.urgency))
        elif isinstance(self.hop_budget, bool) or not 0 <= self.hop_budget <= MAX_HOP_BUDGET:
            raise ValueError(f"hop_budget must be between 0 and {MAX_HOP_BUDGET}")
        _check_aware(self.published, "published")
        _check_aware(self.updated, "updated")
        _check_aware(self.expires_at, "expires_at")

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def total(self) -> Quantity:
        return Quantity(self.quantity, self.unit)

    @property
    def available(self) -> Quantity:
        return Quantity(self.remaining, self.unit)  # type: ignore[arg-type]


def default_hop_budget(urgency: str) -> int:
    """How many group-to-group hops a need of this urgency travels by default."""
    try:
        return HOP_BUDGETS[urgency]
    except KeyError:
        raise ValueError(
            f"urgency must be one of {', '.join(URGENCIES)}, got {urgency!r}"
        ) from None


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise InvalidTransition unless the lifecycle allows current -> new (same state is a no-op)."""
    if current not in TRANSITIONS:
        raise InvalidTransition(f"unknown status {current!r}")
    if new not in TRANSITIONS:
        raise InvalidTransition(f"unknown status {new!r}")
    if current != new and not can_transition(current, new):
        raise InvalidTransition(f"a {current} need or offer cannot become {new}")


def next_status(
    current: str, remaining: Decimal | int | float, quantity: Decimal | int | float
) -> str:
    """The status after the remaining quantity changed. Final states never move again."""
    if current not in TRANSITIONS:
        raise InvalidTransition(f"unknown status {current!r}")
    if current in FINAL_STATUSES:
        return current
    left = _decimal(remaining, "remaining")
    total = _decimal(quantity, "quantity")
    if left <= 0:
        return "met"
    if left < total:
        return "partly_met"
    return "open"
