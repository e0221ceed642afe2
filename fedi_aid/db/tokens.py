"""Bearer tokens for the native API. Each acts as one local group; only its SHA-256 is stored.

The plaintext is shown once, when the token is created, and never again: not in the database,
not in logs, not in any answer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.clock import as_utc
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Actor, ApiToken

LABEL_MAX = 200
# last_used_at is kept to the minute: a busy client does not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
_PLAINTEXT_MAX = 128


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


async def create_token(session: AsyncSession, group: Actor, label: str, now: datetime) -> str:
    """Issue a token acting as `group`. Returns the plaintext, which is not stored anywhere."""
    if group.type != "Group" or not group.local:
        raise ValueError(f"API tokens act as a local group; {group.uri} is not one")
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise ValueError(f"the label is longer than {LABEL_MAX} characters")
    plaintext = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_hash=hash_token(plaintext),
            group_id=group.id,
            label=label,
            created_at=now,
            last_used_at=None,
            revoked=False,
        )
    )
    await session.flush()
    return plaintext


async def find_token_group(session: AsyncSession, plaintext: str, now: datetime) -> Actor | None:
    """The local group a live token acts as, or None for any other token.

    Notes the use in last_used_at (to the minute, see LAST_USED_PRECISION).
    """
    if not plaintext or len(plaintext) > _PLAINTEXT_MAX:
        return None
    query = select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))
    token = (await session.execute(query)).scalars().unique().one_or_none()
    if token is None or token.revoked:
        return None
    group = token.group
    if group is None or group.type != "Group" or not group.local:
        return None
    last = token.last_used_at
    if last is None or as_utc(now) - as_utc(last) >= LAST_USED_PRECISION:
        token.last_used_at = now
        await session.flush()
    return group


async def list_tokens(session: AsyncSession, group: Actor) -> Sequence[ApiToken]:
    """A group's tokens, revoked ones included, oldest first."""
    query = select(ApiToken).where(ApiToken.group_id == group.id).order_by(ApiToken.id)
    return (await session.execute(query)).scalars().unique().all()


async def revoke_token(session: AsyncSession, group: Actor, token_id: int) -> ApiToken:
    """Revoke one of the group's tokens (revoking twice is harmless). NotFound otherwise."""
    token = await session.get(ApiToken, token_id)
    if token is None or token.group_id != group.id:
        raise NotFound(f"{group.username or group.uri} has no API token with id {token_id}")
    token.revoked = True
    await session.flush()
    return token
