"""Finding each other: the discovery crawl's document cache, and the intake of asks by mention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fedi_aid.db.models import Actor, Base, BigId


class DiscoveryCacheEntry(Base):
    """What one URL told the discovery crawl (already reduced to what it uses), until expiry."""

    __tablename__ = "discovery_cache"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # nodeinfo | actor | collection | webfinger
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class IntakeRequest(Base):
    """Someone mentioned a local group to ask for help. state: pending | converted | dismissed.

    The asker stays local: their actor is only referenced here and in the need's local-only
    `requested_by`, unless they agreed to be named (`asker_agreed`).
    """

    __tablename__ = "intake_requests"
    __table_args__ = (
        UniqueConstraint("group_id", "note_uri", name="uq_intake_group_note"),
        Index("ix_intake_asker_time", "asker_id", "received_at"),
        Index("ix_intake_domain_time", "domain", "received_at"),
        Index("ix_intake_group_state", "group_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    note_uri: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list] = mapped_column(JSON)
    kind_hint: Mapped[str | None] = mapped_column(String(8))
    category_hint: Mapped[str | None] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    asker_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("aid_items.id", ondelete="SET NULL"))
    reply_uri: Mapped[str | None] = mapped_column(String(2048))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    group: Mapped[Actor] = relationship(foreign_keys=[group_id], lazy="joined")
    asker: Mapped[Actor] = relationship(foreign_keys=[asker_id], lazy="joined")
