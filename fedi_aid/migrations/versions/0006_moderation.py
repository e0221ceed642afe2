"""moderation: domain silences, actor and group blocks, Flag reports

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("domains") as batch:
        batch.add_column(
            sa.Column("silenced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("moderation_reason", sa.Text(), nullable=True))
    op.create_table(
        "moderation_blocks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("group_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderation_blocks_group_id", "moderation_blocks", ["group_id"])
    op.create_index("ix_moderation_blocks_target", "moderation_blocks", ["kind", "target"])
    op.create_table(
        "moderation_reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("reporter_uri", sa.String(length=2048), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uri"),
    )
    op.create_index("ix_moderation_reports_domain", "moderation_reports", ["domain"])


def downgrade() -> None:
    op.drop_table("moderation_reports")
    op.drop_table("moderation_blocks")
    with op.batch_alter_table("domains") as batch:
        batch.drop_column("moderation_reason")
        batch.drop_column("silenced")
