"""Mastodon client API: OAuth apps, codes and tokens; status ids, favourites and boosts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi_aid.db.models import Base, BigId


class OAuthApp(Base):
    """A client registered with POST /api/v1/apps. Only the secret's hash is kept."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2048))
    redirect_uris: Mapped[str] = mapped_column(Text)  # one per line
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OAuthCode(Base):
    """An authorization code: single use, short-lived, bound to redirect URI and PKCE challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(1000))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OAuthToken(Base):
    """A bearer token acting as one user with some scopes. Only its hash is kept."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiStatus(Base):
    """The Mastodon status id of a need/offer, a group's relay of one, or a member's boost.

    Ids are handed out in the order things arrived, so they sort like Mastodon's.
    kind: item (aid_item_id) | relay (relay_id) | boost (actor_id boosted reblog_of_id).
    """

    __tablename__ = "api_statuses"
    __table_args__ = (
        UniqueConstraint("actor_id", "reblog_of_id", name="uq_api_statuses_boost"),
        Index("ix_api_statuses_reblog_of_id", "reblog_of_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    aid_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_items.id", ondelete="CASCADE"), unique=True
    )
    relay_id: Mapped[int | None] = mapped_column(
        ForeignKey("relays.id", ondelete="CASCADE"), unique=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    reblog_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_statuses.id", ondelete="CASCADE")
    )
    uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Favourite(Base):
    __tablename__ = "api_favourites"
    __table_args__ = (UniqueConstraint("user_id", "status_id", name="uq_api_favourites_pair"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("api_statuses.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
