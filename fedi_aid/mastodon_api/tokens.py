"""OAuth apps, authorization codes and bearer tokens in the database. Only hashes are stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.models_accounts import User
from fedi_aid.db.models_oauth import OAuthApp, OAuthCode, OAuthToken
from fedi_aid.mastodon_api.errors import ApiError

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class NewApp:
    app: OAuthApp
    client_secret: str


async def create_app(
    session: AsyncSession,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None,
) -> NewApp:
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=digest(secret),
        name=name,
        website=website,
        redirect_uris="\n".join(redirect_uris),
        scopes=" ".join(scopes),
        created_at=utcnow(),
    )
    session.add(app)
    await session.flush()
    return NewApp(app, secret)


async def find_app(session: AsyncSession, client_id: str) -> OAuthApp | None:
    result = await session.execute(select(OAuthApp).where(OAuthApp.client_id == client_id))
    return result.scalar_one_or_none()


def secret_matches(app: OAuthApp, client_secret: str) -> bool:
    return hmac.compare_digest(app.client_secret_hash, digest(client_secret))


async def create_code(
    session: AsyncSession,
    app: OAuthApp,
    user: User,
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str | None,
) -> str:
    code = secrets.token_urlsafe(32)
    session.add(
        OAuthCode(
            code_hash=digest(code),
            app_id=app.id,
            user_id=user.id,
            scopes=" ".join(scopes),
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


def pkce_matches(challenge: str, verifier: str) -> bool:
    """S256: BASE64URL(SHA256(verifier)) without padding equals the challenge."""
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(computed.decode(), challenge)


def _grant_error(description: str) -> ApiError:
    return ApiError(400, "invalid_grant", description)


async def redeem_code(
    session: AsyncSession, app: OAuthApp, code: str, redirect_uri: str, verifier: str | None
) -> tuple[str, OAuthToken]:
    """A code -> a new token (once). Raises ApiError(400, invalid_grant) otherwise."""
    row = (
        await session.execute(select(OAuthCode).where(OAuthCode.code_hash == digest(code)))
    ).scalar_one_or_none()
    if row is None or row.app_id != app.id:
        raise _grant_error("the authorization code is unknown")
    if row.used_at is not None:
        raise _grant_error("the authorization code was already used")
    if as_utc(row.expires_at) < utcnow():
        raise _grant_error("the authorization code has expired")
    if row.redirect_uri != redirect_uri:
        raise _grant_error("redirect_uri differs from the one used to authorize")
    if row.code_challenge is not None and (
        not verifier or not pkce_matches(row.code_challenge, verifier)
    ):
        raise _grant_error("code_verifier does not match the code_challenge (PKCE S256)")
    row.used_at = utcnow()
    return await create_token(session, row.user_id, row.scopes.split(), app.id)


async def create_token(
    session: AsyncSession, user_id: int, scopes: list[str], app_id: int | None
) -> tuple[str, OAuthToken]:
    token = secrets.token_urlsafe(32)
    row = OAuthToken(
        token_hash=digest(token),
        app_id=app_id,
        user_id=user_id,
        scopes=" ".join(scopes),
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return token, row


async def find_token(session: AsyncSession, token: str) -> OAuthToken | None:
    result = await session.execute(
        select(OAuthToken).where(
            OAuthToken.token_hash == digest(token), OAuthToken.revoked_at.is_(None)
        )
    )
    return result.scalar_one_or_none()


async def revoke_token(session: AsyncSession, app: OAuthApp, token: str) -> None:
    """RFC 7009: revoking an unknown or foreign token is not an error."""
    await session.execute(
        update(OAuthToken)
        .where(OAuthToken.token_hash == digest(token), OAuthToken.app_id == app.id)
        .values(revoked_at=utcnow())
    )
