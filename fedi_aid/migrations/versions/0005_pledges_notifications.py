"""pledges, notifications, matching index on aid_items

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pledges",
        sa.Column("id", BigId, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("pledger_uri", sa.String(length=2048), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(20, 4), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("over_pledged", sa.Numeric(20, 4), nullable=True),
        sa.Column("agreement_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["aid_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uri"),
    )
    op.create_index("ix_pledges_item_state", "pledges", ["item_id", "state"])
    op.create_index("ix_pledges_group_state", "pledges", ["group_id", "state"])
    op.create_table(
        "notifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_uri", sa.String(length=2048), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_group_read", "notifications", ["group_id", "read_at"])
    op.create_index(
        "ix_aid_items_match", "aid_items", ["kind", "category", "latitude", "longitude"]
    )


def downgrade() -> None:
    op.drop_index("ix_aid_items_match", table_name="aid_items")
    op.drop_table("notifications")
    op.drop_table("pledges")
