"""A group's direct reply to one person: a Create{Note} that mentions them, to them alone.

Mastodon shows it as a private mention in their notifications: the Note is addressed only to
the person and carries a `Mention` tag and an h-card link. Used to thank a pledger and to
answer someone who asked the group for help. The Note lives at /notes/<token> (its Create at
/notes/<token>/activity), fetchable there by the person it is addressed to.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.activitypub.vocab import CONTEXT
from fedi_aid.clock import isoformat, utcnow
from fedi_aid.context import Context
from fedi_aid.db.models import Actor
from fedi_aid.outbox.queue import inbox_of, queue_activity


def mention_name(actor: Actor) -> str:
    """`@alice@social.example` (the host as in the actor's URI, port included)."""
    host = urlsplit(actor.uri).netloc
    return f"@{actor.username or 'someone'}@{host}"


def direct_reply_note(
    note_id: str, group: Actor, person: Actor, in_reply_to: str, html_body: str, published: str
) -> dict[str, Any]:
    """The Note itself. Pure. HTML_BODY is already safe HTML (escape plain text first)."""
    mention = (
        f'<span class="h-card"><a href="{escape(person.url or person.uri)}" '
        f'class="u-url mention">@<span>{escape(person.username or "someone")}</span></a></span>'
    )
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": group.uri,
        "inReplyTo": in_reply_to,
        "to": [person.uri],
        "cc": [],
        "content": f"<p>{mention} {html_body}</p>",
        "tag": [{"type": "Mention", "href": person.uri, "name": mention_name(person)}],
        "published": published,
        "sensitive": False,
    }


async def send_direct_reply(
    session: AsyncSession,
    ctx: Context,
    group: Actor,
    person: Actor,
    in_reply_to: str,
    html_body: str,
) -> str | None:
    """Queue the reply to PERSON's inbox; the Note's id, or None when they have no inbox."""
    inbox = inbox_of(person)
    if inbox is None:
        return None
    now = utcnow()
    note_id = ctx.urls.note()
    note = direct_reply_note(note_id, group, person, in_reply_to, html_body, isoformat(now))
    activity = {
        "@context": CONTEXT,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": group.uri,
        "published": note["published"],
        "to": note["to"],
        "cc": [],
        "object": note,
    }
    await queue_activity(session, group, activity, [inbox], now=now)
    ctx.wake_workers()
    return note_id
