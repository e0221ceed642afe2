"""Accounts of people who log in (web UI, Mastodon apps) and the groups they organise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fedi_aid.db.models import Actor, Base, BigId


class User(Base):
    """A login. Each user is a local Person actor; organisers also act for groups."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Actor] = relationship(lazy="joined")


class GroupRole(Base):
    """A user organises a group: may post and edit its needs, confirm pledges, set policy."""

    __tablename__ = "group_roles"
    __table_args__ = (UniqueConstraint("user_id", "group_id", name="uq_group_roles_pair"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="organiser")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    group: Mapped[Actor] = relationship(lazy="joined")
