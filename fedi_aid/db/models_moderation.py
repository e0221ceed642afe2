"""Moderation: actor and per-group blocks, and Flag reports (incoming and sent).

Instance-wide domain blocks and silences live on the `domains` row (Domain.blocked/.silenced).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fedi_aid.db.models import Base, BigId


class Block(Base):
    """An actor block for the whole instance (group_id NULL), or a group's block of an actor or
    a domain. kind: actor | domain; target: the actor URI or the domain."""

    __tablename__ = "moderation_blocks"
    __table_args__ = (Index("ix_moderation_blocks_target", "kind", "target"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """A Flag: received from another instance (incoming) or sent by us (outgoing)."""

    __tablename__ = "moderation_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    direction: Mapped[str] = mapped_column(String(8))  # incoming | outgoing
    reporter_uri: Mapped[str] = mapped_column(String(2048))
    # The reported actor and objects, as the Flag listed them.
    targets: Mapped[list] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[str] = mapped_column(String(255), index=True)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
