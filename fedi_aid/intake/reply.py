"""The group answers an asker: a direct Note that mentions them, replying to their post."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.clock import isoformat, utcnow
from fedi_aid.context import Context
from fedi_aid.db.models import Actor
from fedi_aid.outbox.queue import inbox_of, queue_activity


def handle_of(actor: Actor) -> str:
    """`@name@host` as Mastodon shows it."""
    return f"@{actor.username or 'unknown'}@{actor.domain}"


def reply_note(
    note_id: str, group: Actor, asker: Actor, in_reply_to: str, html_body: str, published: str
) -> dict[str, Any]:
    """A direct-visibility Note to the asker alone (Mastodon: a private mention). Pure."""
    mention = (
        f'<span class="h-card"><a href="{escape(asker.url or asker.uri)}" class="u-url mention">'
        f"@<span>{escape(asker.username or '')}</span></a></span>"
    )
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": group.uri,
        "inReplyTo": in_reply_to,
        "to": [asker.uri],
        "cc": [],
        "content": f"<p>{mention} {html_body}</p>",
        "tag": [{"type": "Mention", "href": asker.uri, "name": handle_of(asker)}],
        "published": published,
        "sensitive": False,
    }


def text_to_html(text: str) -> str:
    return "<br>".join(escape(line) for line in text.strip().splitlines())


async def send_reply(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    asker: Actor,
    in_reply_to: str,
    html_body: str,
) -> str:
    """Queue Create{Note} to the asker's inbox only; returns the Note's id."""
    now = utcnow()
    activity_id = ctx.urls.activity("create")
    note = reply_note(f"{activity_id}#note", group, asker, in_reply_to, html_body, isoformat(now))
    activity = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": "Create",
        "actor": group.uri,
        "published": isoformat(now),
        "to": [asker.uri],
        "cc": [],
        "object": note,
    }
    inbox = inbox_of(asker)
    await queue_activity(session, group, activity, [inbox] if inbox else [], now=now)
    ctx.wake_workers()
    return note["id"]
