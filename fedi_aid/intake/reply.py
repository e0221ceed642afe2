"""How the group words its answer to an asker (sent by outbox.replies.send_direct_reply)."""

from __future__ import annotations

from html import escape

from fedi_aid.db.models import Actor


def handle_of(actor: Actor) -> str:
    """`@name@host` as Mastodon shows it."""
    return f"@{actor.username or 'unknown'}@{actor.domain}"


def text_to_html(text: str) -> str:
    return "<br>".join(escape(line) for line in text.strip().splitlines())
