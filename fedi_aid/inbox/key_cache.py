"""Verified signing keys in memory: key id -> the actor that owns it (with its public key).

Only a key that has just verified a signature is remembered, so a hit skips the database
lookup of fetch_key_owner but never the RSA check itself. An entry lives for
`min(key_cache_seconds, MAX_AGE_SECONDS)`: the actors table stays the key cache shared by all
processes, and this one only saves the round trip to it. A change made in this process to an
actor's key, or its deletion, empties the cache at once (fedi_aid.db.change_counters); the same
change made by another process (a separate worker handling Update or Delete of the actor) is
seen within MAX_AGE_SECONDS. A signature that does not verify with the remembered key goes
the old way (database, then a refetch), as if nothing was remembered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from fedi_aid.db import change_counters
from fedi_aid.db.models import Actor

MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 2048


class KeyCache:
    def __init__(
        self,
        max_age: float = MAX_AGE_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[Actor, float]] = OrderedDict()
        self._generation = change_counters.generation(change_counters.ACTOR_KEYS)

    def get(self, key_id: str) -> Actor | None:
        """The owner of a key that verified a signature recently, or None."""
        generation = change_counters.generation(change_counters.ACTOR_KEYS)
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
            return None
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        owner, stored_at = entry
        if self.clock() - stored_at >= self.max_age:
            del self._entries[key_id]
            return None
        self._entries.move_to_end(key_id)
        return owner

    def put(self, key_id: str, owner: Actor, generation: int) -> None:
        """Remember `owner` for `key_id`; `generation` is the counter read before its lookup."""
        if (
            generation != change_counters.generation(change_counters.ACTOR_KEYS)
            or self.max_age <= 0
        ):
            return  # the actor may have changed since it was read
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
        self._entries[key_id] = (owner, self.clock())
        self._entries.move_to_end(key_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
