"""A counter that moves whenever this process flushes a change to a local actor.

Caches of rendered actor documents compare it to the value they were filled at, so an edit
made in this process (profile, home, categories, key rotation) is served at once. Changes made
by another process (the CLI) are seen when the cache's short TTL runs out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from fedi_aid.db.models import Actor

_generation = 0


def generation() -> int:
    return _generation


def bump() -> None:
    """Count a change the flush listener cannot see (a Core UPDATE, a restore)."""
    global _generation
    _generation += 1


def _touches_local_actor(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        # Read without loading (no I/O inside a flush); an unloaded flag counts as local.
        if isinstance(obj, Actor) and inspect(obj).dict.get("local", True):
            return True
    return False


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: Any) -> None:
    if _touches_local_actor(session):
        bump()
