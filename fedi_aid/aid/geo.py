"""Coarse geography for needs and offers. Pure.

Points leave the instance rounded to two decimal places: about 1.1 km of latitude (less of
longitude away from the equator), enough to find neighbours, not enough to find a door.
"""

from __future__ import annotations

import math
from typing import NamedTuple

DECIMALS = 2  # 0.01 degree ~ 1.1 km
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


class BoundingBox(NamedTuple):
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if math.isnan(result):
        raise ValueError(f"{name} must be a number, got NaN")
    return result


def validate_point(lat: float, lon: float) -> None:
    """Raise ValueError naming `latitude` or `longitude` when a point is absurd."""
    lat_f = _number(lat, "latitude")
    lon_f = _number(lon, "longitude")
    if not -90.0 <= lat_f <= 90.0:
        raise ValueError(f"latitude must be between -90 and 90, got {lat!r}")
    if not -180.0 <= lon_f <= 180.0:
        raise ValueError(f"longitude must be between -180 and 180, got {lon!r}")


def round_coordinate(value: float) -> float:
    """Round a latitude or longitude to about 1 km (two decimal places)."""
    result = round(float(value), DECIMALS)
    return result + 0.0  # no "-0.0" on the wire


def coarse_point(lat: float, lon: float) -> tuple[float, float]:
    """Validate and round a point: the only form in which a point may leave the instance."""
    validate_point(lat, lon)
    return round_coordinate(lat), round_coordinate(lon)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """A box holding every point within radius_km of (lat, lon): a cheap SQL prefilter.

    Follow it with haversine_km for the exact test. Near a pole, or when the circle crosses the
    antimeridian, the box widens to every longitude (-180..180) rather than wrapping, so a plain
    `BETWEEN` never misses a point.
    """
    validate_point(lat, lon)
    radius = _number(radius_km, "radius_km")
    if radius < 0 or math.isinf(radius):
        raise ValueError(f"radius_km must be a non-negative finite number, got {radius_km!r}")
    angular = radius / EARTH_RADIUS_KM  # radians
    lat_r = math.radians(lat)
    min_lat_r, max_lat_r = lat_r - angular, lat_r + angular
    if min_lat_r <= -math.pi / 2 or max_lat_r >= math.pi / 2 or angular >= math.pi / 2:
        return BoundingBox(
            max(math.degrees(min_lat_r), -90.0), -180.0, min(math.degrees(max_lat_r), 90.0), 180.0
        )
    # Longitude half-width of the smallest box around a spherical cap (Matuschek's formula).
    delta_lon_r = math.asin(min(1.0, math.sin(angular) / math.cos(lat_r)))
    min_lon = math.degrees(math.radians(lon) - delta_lon_r)
    max_lon = math.degrees(math.radians(lon) + delta_lon_r)
    if min_lon < -180.0 or max_lon > 180.0:
        min_lon, max_lon = -180.0, 180.0
    return BoundingBox(math.degrees(min_lat_r), min_lon, math.degrees(max_lat_r), max_lon)


# A coarse grid for the matching prefilter: at level L a cell is 0.25 * 2**L degrees square,
# and one integer names both the level and the cell: (L * 1000 + row) * 2000 + column.
# db/cells.py computes the same number in SQL (a generated column), with the same arithmetic
# (IEEE doubles, multiplying by a power of two), so both sides agree to the last bit.
GRID_LEVELS = 3


def _cells_per_degree(level: int) -> float:
    return 4.0 / (1 << level)  # 4, 2, 1


def cell_id(lat: float, lon: float, level: int) -> int:
    """The grid cell holding (lat, lon) at `level` (see GRID_LEVELS)."""
    scale = _cells_per_degree(level)
    row = math.floor((lat + 90.0) * scale)
    return (level * 1000 + row) * 2000 + math.floor((lon + 180.0) * scale)


def _span(box: BoundingBox, level: int) -> tuple[range, range]:
    scale = _cells_per_degree(level)
    rows = range(
        math.floor((box.min_lat + 90.0) * scale), math.floor((box.max_lat + 90.0) * scale) + 1
    )
    cols = range(
        math.floor((box.min_lon + 180.0) * scale), math.floor((box.max_lon + 180.0) * scale) + 1
    )
    return rows, cols


def cell_count(box: BoundingBox, level: int) -> int:
    """How many cells cells_covering would return."""
    rows, cols = _span(box, level)
    return len(rows) * len(cols)


def cells_covering(box: BoundingBox, level: int) -> list[int]:
    """Every cell at `level` that a point inside `box` can be in."""
    rows, cols = _span(box, level)
    return [(level * 1000 + row) * 2000 + col for row in rows for col in cols]
