"""SQLAlchemy models. One table per entity; state columns make each row its own queue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fedi_aid.db.cells import MATCHABLE_SQL, cell_expression

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Actor(Base):
    """A local or remote actor: Group (community), Person (member), Application (instance)."""

    __tablename__ = "actors"
    __table_args__ = (
        UniqueConstraint("domain", "username", name="uq_actors_domain_username"),
        Index("ix_actors_key_id", "key_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    local: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str | None] = mapped_column(String(255))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    inbox: Mapped[str | None] = mapped_column(String(2048))
    shared_inbox: Mapped[str | None] = mapped_column(String(2048))
    outbox: Mapped[str | None] = mapped_column(String(2048))
    followers_url: Mapped[str | None] = mapped_column(String(2048))
    following_url: Mapped[str | None] = mapped_column(String(2048))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    key_id: Mapped[str | None] = mapped_column(String(2048))
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    # Local actors only. Never logged, never rendered.
    private_key_pem: Mapped[str | None] = mapped_column(Text)
    # The community's coarse home area (groups): where relay distances are measured from.
    home_place_name: Mapped[str | None] = mapped_column(String(300))
    home_latitude: Mapped[float | None] = mapped_column(Float)
    home_longitude: Mapped[float | None] = mapped_column(Float)
    home_radius_km: Mapped[float | None] = mapped_column(Float)
    # Category URIs a group works on (aid:categories; migration 0008).
    categories: Mapped[list | None] = mapped_column(JSON)
    raw: Mapped[dict | None] = mapped_column(JSON)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # never include key material
        return f"<Actor {self.type} {self.uri}>"


class Follow(Base):
    """follower -> followee. state: pending | accepted | rejected."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id", name="uq_follows_pair"),
        Index("ix_follows_followee_state", "followee_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    follower: Mapped[Actor] = relationship(foreign_keys=[follower_id], lazy="joined")
    followee: Mapped[Actor] = relationship(foreign_keys=[followee_id], lazy="joined")


class OutgoingActivity(Base):
    """An activity a local actor sent: body serialised once, delivered per inbox."""

    __tablename__ = "outgoing_activities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One POST of one activity to one inbox. state: pending | sent | dead."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox", name="uq_deliveries_activity_inbox"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("outgoing_activities.id", ondelete="CASCADE")
    )
    inbox: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    activity: Mapped[OutgoingActivity] = relationship(lazy="joined")


class InboxItem(Base):
    """A verified incoming activity, stored before the 202. state: pending | done | failed."""

    __tablename__ = "inbox_items"
    __table_args__ = (Index("ix_inbox_items_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_uri: Mapped[str] = mapped_column(String(2048))
    type: Mapped[str] = mapped_column(String(32))
    # The local actor whose inbox received it; None for the shared inbox.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    body: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Domain(Base):
    """What we know about a remote host's health (and, later, moderation)."""

    __tablename__ = "domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moderation (migration 0006): accepted, but follows need approval and nothing is relayed.
    silenced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    moderation_reason: Mapped[str | None] = mapped_column(Text)


class AidItemRow(Base):
    """A need or an offer: local (we publish it) or remote (a followed group published it)."""

    __tablename__ = "aid_items"
    __table_args__ = (
        Index("ix_aid_items_listing", "kind", "status", "category"),
        Index("ix_aid_items_point", "latitude", "longitude"),
        Index("ix_aid_items_group", "group_id", "kind", "status"),
        Index("ix_aid_items_expiry", "status", "expires_at"),
        # The grid cell of the point (db/cells.py), for the matching prefilter (db/matching.py).
        # The database computes it, so no writer sets it; unmapped, so the ORM never reloads it.
        Column("cell", Integer, Computed(cell_expression(), persisted=True)),
        Index(
            "ix_aid_items_cell",
            "kind",
            "category",
            "cell",
            sqlite_where=text(MATCHABLE_SQL),
            postgresql_where=text(MATCHABLE_SQL),
        ),
    )
    __mapper_args__ = {"exclude_properties": ["cell"]}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # need | offer
    local: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(512))
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    remaining: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    unit: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    urgency_rank: Mapped[int] = mapped_column(Integer, default=1)  # 0 low .. 3 critical
    place_name: Mapped[str | None] = mapped_column(String(300))
    # Always the coarse (rounded) point: the precise one is never stored.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    direct_to: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    hop_budget: Mapped[int] = mapped_column(Integer, default=2)
    content_warning: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    # Local only, never federated: who in the community asked (or offered).
    requested_by: Mapped[str | None] = mapped_column(String(300))
    # How many relays it went through before it reached us (0: from its author).
    hop_count: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    group: Mapped[Actor] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the native API, acting as one local group. Only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    group: Mapped[Actor] = relationship(lazy="joined")


class RelayPolicy(Base):
    """What a local group passes on to its followers from the groups it follows."""

    __tablename__ = "relay_policies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    kinds: Mapped[list] = mapped_column(JSON)  # ["need"], ["need", "offer"]
    categories: Mapped[list] = mapped_column(JSON)  # category URIs; empty: any
    min_urgency: Mapped[str] = mapped_column(String(16), default="high")
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Relay(Base):
    """A group announced an object: at most once per group and object, whatever the path."""

    __tablename__ = "relays"
    __table_args__ = (UniqueConstraint("group_id", "object_uri", name="uq_relays_group_object"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    object_uri: Mapped[str] = mapped_column(String(2048), index=True)
    announce_uri: Mapped[str] = mapped_column(String(2048))
    hop_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
