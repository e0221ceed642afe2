"""The signing process: reads batches of signing strings on stdin, writes RSA signatures.

Run by `delivery.sign_process` as ``python -m fedi_aid.delivery.sign_worker``. `cryptography`
holds the GIL while it signs, so signatures made in the worker's own process take turns with
its event loop on one core; here they run beside it. It imports only the key loader, so it
stays small, and it exits when its stdin closes (the parent closed it, or died).

Frames in both directions: a 4-byte big-endian length, then the payload.
- request: the private key PEM, then each signing string, each field length-prefixed;
- answer: b"\\x00" and the signatures (length-prefixed), or b"\\x01" and an error name.
"""

from __future__ import annotations

import contextlib
import struct
import sys
from collections.abc import Iterator, Sequence
from typing import BinaryIO

_LENGTH = struct.Struct("!I")
OK, FAILED = b"\x00", b"\x01"


def _fields(items: Sequence[bytes]) -> bytes:
    return b"".join(_LENGTH.pack(len(item)) + item for item in items)


def _split(payload: bytes | memoryview) -> Iterator[bytes]:
    view = memoryview(payload)
    position = 0
    while position < len(view):
        (size,) = _LENGTH.unpack_from(view, position)
        position += _LENGTH.size
        if position + size > len(view):
            raise ValueError("truncated field")
        yield bytes(view[position : position + size])
        position += size


def frame(payload: bytes) -> bytes:
    return _LENGTH.pack(len(payload)) + payload


def encode_request(private_key_pem: str, data: Sequence[bytes]) -> bytes:
    return frame(_fields([private_key_pem.encode("ascii"), *data]))


def decode_request(payload: bytes) -> tuple[str, list[bytes]]:
    pem, *data = _split(payload)
    return pem.decode("ascii"), data


def encode_answer(signatures: Sequence[bytes]) -> bytes:
    return frame(OK + _fields(signatures))


def encode_failure(name: str) -> bytes:
    return frame(FAILED + name.encode("ascii", "replace"))


def decode_answer(payload: bytes) -> list[bytes]:
    """The signatures; ValueError when the signing process reported a failure."""
    if payload[:1] == OK:
        return list(_split(memoryview(payload)[1:]))
    raise ValueError(f"signing process failed: {payload[1:].decode('ascii', 'replace')}")


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer requests until stdin ends."""
    from fedi_aid.federation.keys import load_private_key
    from fedi_aid.federation.signatures import rsa_sha256

    while True:
        head = _read_exactly(stdin, _LENGTH.size)
        if head is None:
            return
        payload = _read_exactly(stdin, _LENGTH.unpack(head)[0])
        if payload is None:
            return
        try:
            pem, data = decode_request(payload)
            key = load_private_key(pem)  # memoised: parsed once per key
            answer = encode_answer([rsa_sha256(key, item) for item in data])
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which signs itself
            # The type only: a message could quote key material.
            answer = encode_failure(type(exc).__name__)
        stdout.write(answer)
        stdout.flush()


def main() -> None:
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
