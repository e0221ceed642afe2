"""The grid cell of an aid item's point, computed by the database (a generated column).

The SQL twin of aid/geo.cell_id at the level aid/matching.grid_level gives the item's radius:
the same arithmetic on the same doubles, so the cells Python asks for are the cells stored.
NULL when the item has no (sensible) point. Migration 0010_cells writes the same SQL out
literally (a migration must not change when this module does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, case, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from fedi_aid.aid.matching import LEVEL_RADII_KM, OPEN, VISIBLE


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# Only such rows can fit anything (aid/matching.score_pair), so only they are in the cell index
# (a partial index). The prefilter repeats this SQL word for word, constants included, so that
# SQLite and PostgreSQL (even in a generic plan) both see that the index applies.
MATCHABLE_SQL = (
    f"status IN ({_quoted(OPEN)}) AND visibility IN ({_quoted(VISIBLE)}) AND remaining > 0"
)


class _floor_int(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """floor(x) as an INTEGER, for x >= 0 (SQLite may be built without floor())."""

    type = Integer()
    name = "floor_int"
    inherit_cache = True


@compiles(_floor_int)
def _floor_int_default(element: _floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_floor_int, "sqlite")
def _floor_int_sqlite(element: _floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"  # truncates: x >= 0


def _cell(level: int) -> ColumnElement[int]:
    scale = literal_column(str(4 >> level))  # cells per degree: 4, 2, 1 (aid/geo.py)
    row = _floor_int((literal_column("latitude") + literal_column("90")) * scale)
    col = _floor_int((literal_column("longitude") + literal_column("180")) * scale)
    return (literal_column(str(level * 1000)) + row) * literal_column("2000") + col


def cell_expression() -> ColumnElement[int]:
    """The cell of (latitude, longitude) at the level of radius_km."""
    lat, lon, radius = (literal_column(c) for c in ("latitude", "longitude", "radius_km"))
    small, medium = (literal_column(f"{bound:g}") for bound in LEVEL_RADII_KM)
    return case(
        # No point, or an absurd one (never in a search box): no cell, and no overflow.
        (or_(lat.is_(None), lon.is_(None), lat < -90, lat > 90, lon < -180, lon > 180), None),
        # No radius (or 0) counts as DEFAULT_RADIUS_KM, which is level 0.
        (or_(radius.is_(None), radius == literal_column("0"), radius <= small), _cell(0)),
        (radius <= medium, _cell(1)),
        else_=_cell(2),  # also NaN (PostgreSQL)
    )
