"""Sign and send a batch of POSTs: the signing process and this one share the RSA work.

Signing is most of a delivery's CPU, and `cryptography` holds the GIL while it signs, so the
signing process (`delivery.sign_process`) takes chunks of signing strings from the front of
the queue while this process sends. A sender that finds nothing signed to send signs a chunk
itself, from the back: the event loop signs only when its senders would otherwise wait, so
the work balances between the two cores by itself. Without the process, every signature is
made here, one at a time, as before.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from fedi_aid.delivery.sign_process import SigningProcess, SigningUnavailable
from fedi_aid.federation.keys import KeyRef
from fedi_aid.federation.signatures import UnsignedRequest

CHUNK = 16  # signing strings per request to the signing process
IN_FLIGHT = 2  # requests queued in the signing process, so it never waits for the next one
STEAL = 8  # signed here at a time when the senders would wait: small, to keep the balance

# What a sender gets: the request's index and its signed headers, or why it cannot be signed.
Signed = tuple[int, dict[str, str] | ValueError]
Send = Callable[[int, dict[str, str] | ValueError], Awaitable[None]]


class Signable(Protocol):
    """A request to sign (`federation.http_client.PreparedPost`)."""

    @property
    def key(self) -> KeyRef: ...

    def unsigned(self) -> UnsignedRequest: ...


class FanOut:
    """Signs `requests` (in the order they should go out) and hands each to a sender.

    Each request's headers are made (`unsigned()`, with the Date) when its chunk is signed,
    not when the batch starts, so a long batch does not send stale dates.
    """

    def __init__(self, requests: Sequence[Signable], process: SigningProcess | None) -> None:
        self._requests = requests
        self._process = process if process is not None and process.running else None
        self._queued = collections.deque(self._chunks(CHUNK if self._process else 1))
        self._ready: collections.deque[Signed] = collections.deque()
        self._in_process = 0  # chunks the signing process is working on
        self._changed = asyncio.Event()

    def _chunks(self, size: int) -> list[list[int]]:
        """Runs of consecutive indices, at most `size` long, each signed by one key."""
        chunks: list[list[int]] = []
        for index, request in enumerate(self._requests):
            last = chunks[-1] if chunks else None
            if (
                last is None
                or len(last) >= size
                or self._requests[last[0]].key.private_key_pem != request.key.private_key_pem
            ):
                chunks.append([index])
            else:
                last.append(index)
        return chunks

    async def run(self, send: Send, senders: int) -> None:
        """Sign everything and call `send` for each request, with `senders` sends at a time."""
        feeders = []
        if self._process is not None:
            feeders = [asyncio.create_task(self._feed(self._process)) for _ in range(IN_FLIGHT)]
        try:
            await asyncio.gather(*(self._sender(send) for _ in range(max(1, senders))))
        finally:
            for feeder in feeders:
                feeder.cancel()
            await asyncio.gather(*feeders, return_exceptions=True)

    async def _sender(self, send: Send) -> None:
        while (item := await self._next()) is not None:
            await send(*item)

    async def _next(self) -> Signed | None:
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._queued:
                # Alone, in order; beside the signing process, from the other end.
                self._sign_here(self._queued.popleft() if self._process is None else self._steal())
                continue
            if not self._in_process:
                return None
            self._changed.clear()
            await self._changed.wait()

    def _steal(self) -> list[int]:
        """The last few indices of the last queued chunk (the ones needed latest)."""
        last = self._queued[-1]
        taken = last[-STEAL:]
        del last[-STEAL:]
        if not last:
            self._queued.pop()
        return taken

    def _sign_here(self, chunk: list[int]) -> None:
        for index in chunk:
            try:
                self._ready.append((index, self._requests[index].unsigned().sign()))
            except ValueError as exc:
                self._ready.append((index, exc))

    async def _feed(self, process: SigningProcess) -> None:
        while self._queued:
            chunk = self._queued.popleft()
            unsigned: list[tuple[int, UnsignedRequest]] = []
            for index in chunk:
                try:
                    unsigned.append((index, self._requests[index].unsigned()))
                except ValueError as exc:
                    self._ready.append((index, exc))
            if not unsigned:
                continue
            self._in_process += 1
            try:
                raws = await process.sign(
                    unsigned[0][1].key.private_key_pem, [request.data for _, request in unsigned]
                )
                if len(raws) != len(unsigned):
                    raise SigningUnavailable("the signing process answered out of step")
            except Exception:  # noqa: BLE001 - SigningUnavailable, or a request it cannot encode
                # Signed here instead, where a bad key shows as that request's own error.
                self._queued.appendleft([index for index, _ in unsigned])
                return
            else:
                self._ready.extend(
                    (index, request.signed(raw))
                    for (index, request), raw in zip(unsigned, raws, strict=True)
                )
            finally:
                self._in_process -= 1
                self._changed.set()
