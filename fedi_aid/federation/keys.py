"""RSA key pairs for actors: generation, cached loading, and a safe reference type.

Loading a private key from PEM costs tens of milliseconds (cryptography validates the key), so
both loaders are memoised on the PEM text. Key material never appears in reprs or messages.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "KeyRef",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
]

_CACHE_SIZE = 4096


def generate_key_pair() -> tuple[str, str]:
    """Create an RSA-2048 key pair: (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        private.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )
    return private_pem, public_pem


@functools.lru_cache(maxsize=_CACHE_SIZE)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Parse a PEM RSA private key (PKCS#8 or PKCS#1), memoised; ValueError on anything else."""
    try:
        key = serialization.load_pem_private_key(_pem_bytes(pem), password=None)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        # `from None`: the original exception could quote parts of the input.
        raise ValueError("private key is not a valid PEM RSA key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("private key is not a valid PEM RSA key")
    return key


@functools.lru_cache(maxsize=_CACHE_SIZE)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parse a PEM RSA public key (SPKI or PKCS#1), memoised; ValueError on anything else.

    Remote actors' ``publicKeyPem`` values are passed here as they arrive, so surrounding
    whitespace and CRLF line ends are tolerated.
    """
    try:
        key = serialization.load_pem_public_key(_pem_bytes(pem))
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        raise ValueError("public key is not a valid PEM RSA key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public key is not a valid PEM RSA key")
    return key


def _pem_bytes(pem: str) -> bytes:
    if not isinstance(pem, str):
        raise TypeError("PEM must be a str")
    return pem.strip().replace("\r\n", "\n").encode("ascii")


@dataclass(frozen=True, repr=False)
class KeyRef:
    """A signing key: the keyId URL published in the actor document and its private PEM."""

    key_id: str
    private_key_pem: str

    def __repr__(self) -> str:
        # Never show the PEM: reprs end up in logs and tracebacks.
        return f"KeyRef(key_id={self.key_id!r})"

    __str__ = __repr__
