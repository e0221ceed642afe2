"""Key generation, cached loading and the KeyRef type."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from fedi_aid.federation.keys import KeyRef, generate_key_pair, load_private_key, load_public_key


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return generate_key_pair()


def test_generate_shapes(pair: tuple[str, str]) -> None:
    private_pem, public_pem = pair
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")  # SubjectPublicKeyInfo
    assert load_private_key(private_pem).key_size == 2048


def test_round_trip_sign_verify(pair: tuple[str, str]) -> None:
    private_pem, public_pem = pair
    signature = load_private_key(private_pem).sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    load_public_key(public_pem).verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())
    assert load_private_key(private_pem).public_key().public_numbers() == (
        load_public_key(public_pem).public_numbers()
    )


def test_loading_is_cached(pair: tuple[str, str]) -> None:
    private_pem, public_pem = pair
    assert load_private_key(private_pem) is load_private_key(private_pem)
    assert load_public_key(public_pem) is load_public_key(public_pem)


def test_public_key_tolerates_crlf_and_whitespace(pair: tuple[str, str]) -> None:
    _, public_pem = pair
    messy = "\n  " + public_pem.replace("\n", "\r\n") + "  \n"
    assert load_public_key(messy).public_numbers() == load_public_key(public_pem).public_numbers()


def test_pkcs1_public_key_accepted(pair: tuple[str, str]) -> None:
    # Some servers publish "BEGIN RSA PUBLIC KEY" (PKCS#1) instead of SPKI.
    _, public_pem = pair
    pkcs1 = (
        load_public_key(public_pem)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert isinstance(load_public_key(pkcs1), rsa.RSAPublicKey)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nzzzz-not-base64\n-----END PUBLIC KEY-----\n",
        "\u00e9\u00e9\u00e9",
    ],
)
def test_junk_public_key(junk: str) -> None:
    with pytest.raises(ValueError) as info:
        load_public_key(junk)
    assert str(info.value) == "public key is not a valid PEM RSA key"
    assert not isinstance(info.value, KeyError)


def test_junk_private_key(pair: tuple[str, str]) -> None:
    _, public_pem = pair
    for junk in ("", "nope", public_pem):
        with pytest.raises(ValueError, match="^private key is not a valid PEM RSA key$"):
            load_private_key(junk)


def test_non_rsa_keys_rejected() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValueError, match="public key is not a valid PEM RSA key"):
        load_public_key(public_pem)
    with pytest.raises(ValueError, match="private key is not a valid PEM RSA key"):
        load_private_key(private_pem)


def test_keyref_repr_hides_pem(pair: tuple[str, str]) -> None:
    private_pem, _ = pair
    ref = KeyRef(key_id="https://aid.example/users/riverside#main-key", private_key_pem=private_pem)
    for text in (repr(ref), str(ref), f"{ref}", repr([ref])):
        assert "PRIVATE" not in text
        assert private_pem[40:80] not in text
        assert "https://aid.example/users/riverside#main-key" in text
    assert repr(ref) == "KeyRef(key_id='https://aid.example/users/riverside#main-key')"


def test_keyref_is_frozen_and_hashable(pair: tuple[str, str]) -> None:
    private_pem, _ = pair
    ref = KeyRef("https://a.example/actor#main-key", private_pem)
    with pytest.raises(AttributeError):
        ref.key_id = "other"  # type: ignore[misc]
    assert ref == KeyRef("https://a.example/actor#main-key", private_pem)
    assert len({ref, KeyRef("https://a.example/actor#main-key", private_pem)}) == 1
