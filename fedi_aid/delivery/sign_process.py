"""The delivery worker's side of the signing process (`delivery.sign_worker`).

One child process, started on the first large fan-out, stopped after IDLE_STOP_SECONDS unused
and when the worker stops; about 30 MB resident while it runs. Requests are pipelined
on its stdin and answered in order on its stdout. When the process cannot be started or dies,
`sign` raises SigningUnavailable and the caller signs in-process; a new start is tried at most
once a minute. On a machine with one CPU there is nothing to gain, so it is never started.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from fedi_aid.delivery import sign_worker

log = logging.getLogger(__name__)

RESTART_AFTER_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
IDLE_STOP_SECONDS = 300.0  # an unused child is stopped (its ~30 MB given back) after this
# The directory holding the fedi_aid package, so the child imports the same code.
_PACKAGE_ROOT = str(Path(sign_worker.__file__).resolve().parents[2])


class SigningUnavailable(Exception):
    """The signing process is not running; sign in this process instead."""


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class SigningProcess:
    """A child process that makes RSA signatures for this one (see `sign_worker`)."""

    def __init__(self, *, enabled: bool = True) -> None:
        # Another core is needed for it to help: with one, it only adds hand-offs.
        self.enabled = enabled and usable_cpus() > 1
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[list[bytes]]] = collections.deque()
        self._failed_at: float | None = None
        self._last_used = 0.0
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for operators' tools and the benchmark)."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> bool:
        """Start the child unless it runs already; False when it is not available."""
        if self.running:
            return True
        if not self.enabled or self._closed:
            return False
        loop = asyncio.get_running_loop()
        if self._failed_at is not None and loop.time() - self._failed_at < RESTART_AFTER_SECONDS:
            return False
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "fedi_aid.delivery.sign_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            log.warning("cannot start the signing process (%s); signing in-process", exc)
            self._failed_at = loop.time()
            return False
        self._reader = asyncio.create_task(self._read_answers(self._process))
        self._last_used = loop.time()
        log.info("signing process %s started", self._process.pid)
        return True

    async def sign(self, private_key_pem: str, data: Sequence[bytes]) -> list[bytes]:
        """RSA-SHA256 signatures of each item; SigningUnavailable when the child is not there."""
        process = self._process
        if not self.running or process is None or process.stdin is None:
            raise SigningUnavailable("the signing process is not running")
        loop = asyncio.get_running_loop()
        self._last_used = loop.time()
        answer: asyncio.Future[list[bytes]] = loop.create_future()
        self._waiting.append(answer)
        try:
            process.stdin.write(sign_worker.encode_request(private_key_pem, data))
            await process.stdin.drain()
        except (ConnectionError, RuntimeError) as exc:
            self._fail(f"cannot write to it ({type(exc).__name__})")
        return await answer

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while True:
                head = await process.stdout.readexactly(4)
                payload = await process.stdout.readexactly(int.from_bytes(head, "big"))
                if not self._waiting:
                    break  # an answer nobody asked for: the stream is out of step
                answer = self._waiting.popleft()
                if answer.done():
                    continue
                try:
                    answer.set_result(sign_worker.decode_answer(payload))
                except ValueError as exc:
                    answer.set_exception(SigningUnavailable(str(exc)))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if process is self._process:  # not stopped on purpose
            self._fail("it stopped")

    def _fail(self, why: str) -> None:
        """Give up on the current child: waiting callers sign in-process."""
        process, self._process = self._process, None  # its reader stops quietly
        log.warning("signing process failed (%s); signing in-process", why)
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        with contextlib.suppress(RuntimeError):
            self._failed_at = asyncio.get_running_loop().time()
        while self._waiting:
            answer = self._waiting.popleft()
            if not answer.done():
                answer.set_exception(SigningUnavailable(f"the signing process failed: {why}"))

    async def stop_if_idle(self, idle_seconds: float = IDLE_STOP_SECONDS) -> None:
        """Stop the child when it has not been used for a while; the next fan-out restarts it."""
        if self.running and asyncio.get_running_loop().time() - self._last_used > idle_seconds:
            log.info("signing process idle; stopping it")
            await self._stop()

    async def close(self) -> None:
        """Stop the child for good: its stdin is closed, so it exits after the request in hand."""
        self._closed = True
        await self._stop()

    async def _stop(self) -> None:
        process, self._process = self._process, None
        reader, self._reader = self._reader, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        while self._waiting:
            answer = self._waiting.popleft()
            if not answer.done():
                answer.set_exception(SigningUnavailable("the signing process was stopped"))
