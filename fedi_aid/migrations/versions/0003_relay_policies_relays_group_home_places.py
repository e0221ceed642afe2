"""relay policies, relays, group home places

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:00:51.938771
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_policies",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("min_urgency", sa.String(length=16), nullable=False),
        sa.Column("max_distance_km", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id"),
    )
    op.create_table(
        "relays",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("object_uri", sa.String(length=2048), nullable=False),
        sa.Column("announce_uri", sa.String(length=2048), nullable=False),
        sa.Column("hop_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "object_uri", name="uq_relays_group_object"),
    )
    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relays_object_uri"), ["object_uri"], unique=False)

    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_place_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("home_latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("home_longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("home_radius_km", sa.Float(), nullable=True))

    with op.batch_alter_table("aid_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hop_count", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("aid_items", schema=None) as batch_op:
        batch_op.drop_column("hop_count")

    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_column("home_radius_km")
        batch_op.drop_column("home_longitude")
        batch_op.drop_column("home_latitude")
        batch_op.drop_column("home_place_name")

    with op.batch_alter_table("relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relays_object_uri"))

    op.drop_table("relays")
    op.drop_table("relay_policies")
