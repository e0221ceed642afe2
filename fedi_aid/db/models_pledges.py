"""Pledges against needs (and offers), and notifications for a group's admins."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fedi_aid.db.models import Actor, AidItemRow, Base, BigId


class Pledge(Base):
    """Someone commits (part of) what a need asks for, or a group commits to a remote need.

    direction: `in` (someone pledged to one of our items) | `out` (our group pledged to a remote
    item with a FEP-0837 Offer). source: reply | offer | local. kind: pledge | comment (a reply
    with no quantity we could read, kept so nothing is lost). state: see aid/pledges.py.
    """

    __tablename__ = "pledges"
    __table_args__ = (
        Index("ix_pledges_item_state", "item_id", "state"),
        Index("ix_pledges_group_state", "group_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    pledger_uri: Mapped[str] = mapped_column(String(2048))
    direction: Mapped[str] = mapped_column(String(8), default="in")
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="pledge")
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    unit: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    # Confirmed beyond what was still needed: recorded, flagged, the group decides.
    over_pledged: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    agreement_uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    item: Mapped[AidItemRow] = relationship(lazy="joined")
    group: Mapped[Actor] = relationship(lazy="joined")


class Notification(Base):
    """Something a local group's admins should see. Generic: any area may write kinds of its own.

    kind: e.g. `pledge`, `comment`, `match`; subject_uri: what it is about (a pledge, an offer).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_group_read", "group_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_uri: Mapped[str] = mapped_column(String(2048))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Matching prefilter: one category, then a latitude range, longitude checked in the index.
Index(
    "ix_aid_items_match",
    AidItemRow.kind,
    AidItemRow.category,
    AidItemRow.latitude,
    AidItemRow.longitude,
)
