"""Coarse points, distances and bounding boxes."""

from __future__ import annotations

import math

import pytest

from fedi_aid.aid.geo import (
    bounding_box,
    coarse_point,
    haversine_km,
    round_coordinate,
    validate_point,
)

JAIPUR = (26.912434, 75.787270)
DELHI = (28.613939, 77.209021)


def _destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point km away on a bearing (spherical Earth), for building test points."""
    r = 6371.0088
    d = km / r
    b = math.radians(bearing_deg)
    la, lo = math.radians(lat), math.radians(lon)
    la2 = math.asin(math.sin(la) * math.cos(d) + math.cos(la) * math.sin(d) * math.cos(b))
    lo2 = lo + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(la), math.cos(d) - math.sin(la) * math.sin(la2)
    )
    return math.degrees(la2), (math.degrees(lo2) + 540) % 360 - 180


def test_round_coordinate_to_about_a_kilometre() -> None:
    assert round_coordinate(26.912434) == 26.91
    assert round_coordinate(75.787270) == 75.79
    assert round_coordinate(-33.868820) == -33.87
    assert round_coordinate(10) == 10.0
    # one step is about 1.1 km of latitude
    assert 1.0 < haversine_km((26.91, 75.79), (26.92, 75.79)) < 1.2


def test_round_coordinate_never_gives_negative_zero() -> None:
    value = round_coordinate(-0.001)
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_coarse_point() -> None:
    assert coarse_point(*JAIPUR) == (26.91, 75.79)
    assert coarse_point(90, -180) == (90.0, -180.0)


@pytest.mark.parametrize(
    ("lat", "lon", "name"),
    [
        (90.01, 0, "latitude"),
        (-91, 0, "latitude"),
        (0, 180.5, "longitude"),
        (0, -181, "longitude"),
        (float("nan"), 0, "latitude"),
        (0, float("nan"), "longitude"),
        (float("inf"), 0, "latitude"),
        ("26.9", 0, "latitude"),
        (True, 0, "latitude"),
        (0, None, "longitude"),
    ],
)
def test_absurd_points_are_refused_by_name(lat, lon, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        validate_point(lat, lon)
    with pytest.raises(ValueError, match=name):
        coarse_point(lat, lon)


def test_haversine() -> None:
    assert haversine_km(JAIPUR, JAIPUR) == 0.0
    assert 230 < haversine_km(JAIPUR, DELHI) < 245
    assert haversine_km(JAIPUR, DELHI) == pytest.approx(haversine_km(DELHI, JAIPUR))
    assert haversine_km((0, 0), (0, 180)) == pytest.approx(math.pi * 6371.0088)


@pytest.mark.parametrize("centre", [JAIPUR, (-33.87, 151.21), (60.0, 10.0), (0.0, 0.0)])
@pytest.mark.parametrize("radius", [0.5, 10, 250])
def test_bounding_box_holds_the_whole_circle(centre, radius) -> None:
    box = bounding_box(*centre, radius)
    assert box.contains(*centre)
    for bearing in range(0, 360, 15):
        point = _destination(*centre, bearing, radius * 0.999)
        assert box.contains(*point), (bearing, point, box)
    for bearing in (0, 90, 180, 270):
        point = _destination(*centre, bearing, radius * 1.5)
        assert not box.contains(*point), (bearing, point, box)


def test_bounding_box_near_a_pole_spans_all_longitudes() -> None:
    box = bounding_box(89.9, 10.0, 50)
    assert (box.min_lon, box.max_lon, box.max_lat) == (-180.0, 180.0, 90.0)


def test_bounding_box_across_the_antimeridian_spans_all_longitudes() -> None:
    box = bounding_box(-17.7, 179.9, 50)  # Fiji
    assert (box.min_lon, box.max_lon) == (-180.0, 180.0)
    assert box.contains(*_destination(-17.7, 179.9, 90, 40))


def test_bounding_box_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="radius_km"):
        bounding_box(0, 0, -1)
    with pytest.raises(ValueError, match="radius_km"):
        bounding_box(0, 0, float("inf"))
    with pytest.raises(ValueError, match="latitude"):
        bounding_box(95, 0, 1)
