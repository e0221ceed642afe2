"""Group commit for the inbox: the activities of concurrent requests stored in one transaction.

Each request hands its row to `InboxWriter.store` and waits; one writer task takes everything
waiting, inserts it with one statement, commits, and only then answers every waiter (so a 202
still means "committed"). While a batch is being written the next one gathers: under load the
batches grow by themselves, and a lone request is written at once, without waiting for
company. On a database error every request of the batch gets the error, unless the error
may be one row's fault (a value the database refuses): then each row is tried on its own, so
one bad activity does not fail the others.

Duplicates keep their meaning: the first request carrying an activity id stores it, any other
(in the same batch, or already in the table) is told it was a duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from fedi_aid.clock import utcnow
from fedi_aid.db.domains import mark_domains_seen
from fedi_aid.db.inbox_items import store_incoming_batch

MAX_BATCH = 256  # rows per transaction; more waiting requests go into the next one


@dataclass(frozen=True)
class _Waiting:
    row: dict[str, Any]
    seen_domain: str | None
    future: asyncio.Future[bool]


class InboxWriter:
    """One per Context. The writer task runs only while there is something to write."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_stored: Callable[[], None] = lambda: None,
        on_domains_seen: Callable[[Collection[str]], None] = lambda _domains: None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.on_stored = on_stored
        self.on_domains_seen = on_domains_seen
        self.max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None

    async def store(
        self,
        *,
        activity_uri: str,
        actor_uri: str,
        type_: str,
        body: dict[str, Any],
        recipient_id: int | None,
        seen_domain: str | None = None,
    ) -> bool:
        """Store an activity once; True when stored, False when its id was already stored.

        `seen_domain`: also clear that domain's unavailable mark, in the same transaction.
        Raises what the database raised when the batch could not be committed.
        """
        loop = asyncio.get_running_loop()
        row = {
            "activity_uri": activity_uri,
            "actor_uri": actor_uri,
            "type": type_,
            "body": body,
            "recipient_id": recipient_id,
        }
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(_Waiting(row, seen_domain, future))
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            self._task = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: len(batch)]
            await self._write(batch)

    async def _write(self, batch: list[_Waiting]) -> None:
        first: dict[str, _Waiting] = {}
        for waiting in batch:
            first.setdefault(waiting.row["activity_uri"], waiting)
        seen = {w.seen_domain for w in batch if w.seen_domain}
        try:
            async with self.engine.begin() as connection:
                stored = await store_incoming_batch(
                    connection, [w.row for w in first.values()], utcnow()
                )
                if seen:
                    await mark_domains_seen(connection, seen)
        except Exception as exc:
            if len(first) > 1 and _may_be_one_rows_fault(exc):
                for waiting in batch:  # a second copy of an id is then a duplicate, as before
                    await self._write([waiting])
            else:
                _fail(batch, exc)
            return
        except BaseException as exc:  # cancelled (shutting down): so are the waiters
            _fail(batch, exc)
            raise
        for waiting in batch:
            if not waiting.future.done():
                uri = waiting.row["activity_uri"]
                waiting.future.set_result(first[uri] is waiting and uri in stored)
        if stored:
            self.on_stored()
        if seen:
            self.on_domains_seen(seen)


def _may_be_one_rows_fault(exc: Exception) -> bool:
    """False for errors of the database itself (down, locked, gone): retrying row by row
    would only wait longer for the same answer."""
    return not isinstance(exc, OperationalError | InterfaceError | DisconnectionError | OSError)


def _fail(batch: list[_Waiting], exc: BaseException) -> None:
    for waiting in batch:
        if waiting.future.done():
            continue
        if isinstance(exc, Exception):
            waiting.future.set_exception(exc)
        else:
            waiting.future.cancel()
