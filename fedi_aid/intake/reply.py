"""The group answers an asker: a direct Note that mentions them, replying to their post."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.context import Context
from fedi_aid.db.models import Actor
from fedi_aid.outbox.replies import send_direct_reply


def handle_of(actor: Actor) -> str:
    """`@name@host` as Mastodon shows it."""
    return f"@{actor.username or 'unknown'}@{actor.domain}"


def text_to_html(text: str) -> str:
    return "<br>".join(escape(line) for line in text.strip().splitlines())


async def send_reply(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    asker: Actor,
    in_reply_to: str,
    html_body: str,
) -> str | None:
    """Queue Create{Note} to the asker's inbox only; the Note's id (None: no inbox known)."""
    return await send_direct_reply(session, ctx, group, asker, in_reply_to, html_body)
