"""grid cell of each aid item's point, for the matching prefilter

A generated column (see fedi_aid/db/cells.py, which builds the same expression): the database
fills it for the rows already stored and keeps it right on every insert and update. SQLite can
only add a VIRTUAL generated column to an existing table; its index stores the values anyway.

Revision ID: 0010_cells
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_cells"
down_revision = "0004"
branch_labels = None
depends_on = None

# floor() of a non-negative double; SQLite's CAST truncates (and SQLite may lack floor()).
SQLITE_CELL = """
CASE
 WHEN (latitude IS NULL OR longitude IS NULL OR latitude < -90 OR latitude > 90 OR longitude < -180 OR longitude > 180) THEN NULL
 WHEN (radius_km IS NULL OR radius_km = 0 OR radius_km <= 25) THEN (0 + CAST((latitude + 90) * 4 AS INTEGER)) * 2000 + CAST((longitude + 180) * 4 AS INTEGER)
 WHEN (radius_km <= 100) THEN (1000 + CAST((latitude + 90) * 2 AS INTEGER)) * 2000 + CAST((longitude + 180) * 2 AS INTEGER)
 ELSE (2000 + CAST((latitude + 90) * 1 AS INTEGER)) * 2000 + CAST((longitude + 180) * 1 AS INTEGER)
 END
"""

POSTGRESQL_CELL = """
CASE
 WHEN (latitude IS NULL OR longitude IS NULL OR latitude < -90 OR latitude > 90 OR longitude < -180 OR longitude > 180) THEN NULL
 WHEN (radius_km IS NULL OR radius_km = 0 OR radius_km <= 25) THEN (0 + CAST(floor((latitude + 90) * 4) AS INTEGER)) * 2000 + CAST(floor((longitude + 180) * 4) AS INTEGER)
 WHEN (radius_km <= 100) THEN (1000 + CAST(floor((latitude + 90) * 2) AS INTEGER)) * 2000 + CAST(floor((longitude + 180) * 2) AS INTEGER)
 ELSE (2000 + CAST(floor((latitude + 90) * 1) AS INTEGER)) * 2000 + CAST(floor((longitude + 180) * 1) AS INTEGER)
 END
"""

MATCHABLE = (
    "status IN ('open', 'partly_met') AND visibility IN ('public', 'unlisted') AND remaining > 0"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE aid_items ADD COLUMN cell INTEGER GENERATED ALWAYS AS ({SQLITE_CELL}) VIRTUAL"
        )
    else:
        op.execute(
            f"ALTER TABLE aid_items ADD COLUMN cell INTEGER GENERATED ALWAYS AS ({POSTGRESQL_CELL}) STORED"
        )
    # Partial: only rows that can fit anything (matching repeats this SQL word for word).
    op.create_index(
        "ix_aid_items_cell",
        "aid_items",
        ["kind", "category", "cell"],
        sqlite_where=sa.text(MATCHABLE),
        postgresql_where=sa.text(MATCHABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_aid_items_cell", table_name="aid_items")
    op.execute("ALTER TABLE aid_items DROP COLUMN cell")
