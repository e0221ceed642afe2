"""Counters that move whenever this process changes rows that are mirrored in memory.

The inbox answers its checks from memory (fedi_aid.db.moderation_cache for blocks and domain
health, fedi_aid.inbox.key_cache for verified keys), and actor and WebFinger GETs are served
from rendered bytes (fedi_aid.web.document_cache). Each cache remembers the counter it was
filled at and refills once the counter moved, so a change made in this process counts at once.
Changes made by another process (the CLI, a separate worker) are not seen here: each cache
also has a short TTL for those.

Session events see ORM changes (flushed objects) and ORM-enabled UPDATE / DELETE statements
run through a session. The counters move at the flush (so this process's next read refills)
and again at the commit (so a refill that ran between the two, reading the old committed
rows, is thrown away).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from fedi_aid.db.models import Actor, Domain
from fedi_aid.db.models_moderation import Block

MODERATION = "moderation"  # domains.blocked / .unavailable, moderation_blocks
ACTOR_KEYS = "actor_keys"  # an actor's key changed or the actor was deleted
LOCAL_ACTORS = "local_actors"  # anything about a local actor (its published document)

_generations: dict[str, int] = {MODERATION: 0, ACTOR_KEYS: 0, LOCAL_ACTORS: 0}
_PENDING = "fedi_aid_change_counters"  # Session.info key: topics to bump again at commit


def generation(topic: str) -> int:
    return _generations[topic]


def bump(topic: str) -> None:
    """Count a change; call it for a write the session events cannot see."""
    _generations[topic] += 1


def note_change(session: Session, topic: str) -> None:
    """Count a change now and once more when `session` commits."""
    bump(topic)
    session.info.setdefault(_PENDING, set()).add(topic)


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _is_local_actor(obj: Any) -> bool:
    # Read without loading (no I/O inside a flush); an unloaded flag counts as local.
    return isinstance(obj, Actor) and bool(inspect(obj).dict.get("local", True))


def _topics_of_flush(session: Session) -> set[str]:
    topics: set[str] = set()
    if any(_is_local_actor(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        topics.add(LOCAL_ACTORS)
    for obj in session.new:
        if isinstance(obj, Block) or isinstance(obj, Domain) and (obj.blocked or obj.unavailable):
            topics.add(MODERATION)
        # A new actor cannot make a cached key wrong: key ids belong to one actor.
    for obj in session.dirty:
        if isinstance(obj, Block) or (
            isinstance(obj, Domain) and _changed(obj, ("blocked", "unavailable"))
        ):
            topics.add(MODERATION)
        elif isinstance(obj, Actor) and _changed(obj, ("key_id", "public_key_pem", "uri")):
            topics.add(ACTOR_KEYS)
    for obj in session.deleted:
        if isinstance(obj, Domain | Block):
            topics.add(MODERATION)
        elif isinstance(obj, Actor):
            topics.add(ACTOR_KEYS)
    return topics


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: Any) -> None:
    for topic in _topics_of_flush(session):
        note_change(session, topic)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    if mapper.class_ in (Domain, Block):
        note_change(state.session, MODERATION)
    elif mapper.class_ is Actor:
        note_change(state.session, ACTOR_KEYS)
        note_change(state.session, LOCAL_ACTORS)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for topic in session.info.pop(_PENDING, ()):
        bump(topic)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
