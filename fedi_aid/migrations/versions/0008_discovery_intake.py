"""discovery cache, intake of asks by mention, group categories

Revision ID: 0008
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("actors") as batch:
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=True))
    op.create_table(
        "discovery_cache",
        sa.Column("id", BigId, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("ix_discovery_cache_expires_at", "discovery_cache", ["expires_at"])
    op.create_table(
        "intake_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("group_id", BigId, nullable=False),
        sa.Column("asker_id", BigId, nullable=False),
        sa.Column("note_uri", sa.String(length=2048), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("kind_hint", sa.String(length=8), nullable=True),
        sa.Column("category_hint", sa.String(length=512), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("asker_agreed", sa.Boolean(), nullable=False),
        sa.Column("item_id", BigId, nullable=True),
        sa.Column("reply_uri", sa.String(length=2048), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asker_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["aid_items.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "note_uri", name="uq_intake_group_note"),
    )
    op.create_index("ix_intake_asker_time", "intake_requests", ["asker_id", "received_at"])
    op.create_index("ix_intake_domain_time", "intake_requests", ["domain", "received_at"])
    op.create_index("ix_intake_group_state", "intake_requests", ["group_id", "state"])


def downgrade() -> None:
    op.drop_table("intake_requests")
    op.drop_table("discovery_cache")
    with op.batch_alter_table("actors") as batch:
        batch.drop_column("categories")
