"""Our rows -> Mastodon's JSON shapes (Account, Status, Relationship, Tag). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from fedi_aid.activitypub.sanitize import sanitize_html
from fedi_aid.activitypub.to_as import format_decimal, hashtags_for, render_content
from fedi_aid.aid.categories import label
from fedi_aid.aid.rows import row_to_item
from fedi_aid.clock import as_utc
from fedi_aid.db.models import Actor, AidItemRow

VISIBILITY = {
    "public": "public",
    "unlisted": "unlisted",
    "followers": "private",
    "direct": "direct",
}
AVATAR_PATH = "/avatars/original/missing.png"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def acct(actor: Actor) -> str:
    name = actor.username or actor.uri.rstrip("/").rsplit("/", 1)[-1]
    return name if actor.local else f"{name}@{actor.domain}"


@dataclass(frozen=True)
class AccountCounts:
    followers: int = 0
    following: int = 0
    statuses: int = 0
    last_status_at: datetime | None = None


def note_html(actor: Actor) -> str:
    """An account's bio as Mastodon gives it, HTML: ours are plain text, remote ones were
    sanitised when stored (and are again, for rows stored before that was done)."""
    text = actor.summary or ""
    if not actor.local:
        return sanitize_html(text)
    paragraphs = (p for p in re.split(r"\n\s*\n", text.strip()) if p.strip())
    return "".join("<p>" + "<br>".join(map(escape, p.splitlines())) + "</p>" for p in paragraphs)


def account(actor: Actor, base_url: str, counts: AccountCounts = AccountCounts()) -> dict[str, Any]:
    avatar = base_url.rstrip("/") + AVATAR_PATH
    name = acct(actor)
    return {
        "id": str(actor.id),
        "username": name.split("@", 1)[0],
        "acct": name,
        "display_name": actor.display_name or "",
        "locked": bool(actor.locked),
        "bot": actor.type in ("Application", "Service"),
        "discoverable": True,
        "group": actor.type == "Group",
        "created_at": iso(actor.created_at),
        "note": note_html(actor),
        "url": actor.url or actor.uri,
        "uri": actor.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": counts.last_status_at.date().isoformat()
        if counts.last_status_at
        else None,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [],
    }


def credential_account(
    actor: Actor, base_url: str, counts: AccountCounts, follow_requests: int = 0
) -> dict[str, Any]:
    data = account(actor, base_url, counts)
    data["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "en",
        "note": actor.summary or "",
        "fields": [],
        "follow_requests_count": follow_requests,
    }
    data["role"] = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}
    return data


@dataclass(frozen=True)
class Viewer:
    """What the reading user did to a status, and its public counts."""

    favourited: bool = False
    reblogged: bool = False
    favourites_count: int = 0
    reblogs_count: int = 0
    replies_count: int = 0


def tag(name: str, base_url: str) -> dict[str, Any]:
    return {"name": name, "url": f"{base_url.rstrip('/')}/tags/{name}", "history": []}


def item_status(
    status_id: int,
    row: AidItemRow,
    author: dict[str, Any],
    base_url: str,
    viewer: Viewer = Viewer(),
) -> dict[str, Any]:
    """A need or an offer as the post Mastodon apps show, plus a `fedi_aid` block for the data."""
    item = row_to_item(row)
    data = _base(str(status_id), row.uri, row.url or row.uri, row.published, author, viewer)
    data.update(
        content=render_content(item),
        visibility=VISIBILITY.get(row.visibility, "public"),
        sensitive=bool(row.content_warning),
        spoiler_text=row.content_warning or "",
        tags=[tag(name, base_url) for name in hashtags_for(item)],
        edited_at=iso(row.updated) if row.updated and row.updated != row.published else None,
        fedi_aid={
            "kind": row.kind,
            "title": row.title,
            "category": row.category,
            "category_label": label(row.category),
            "quantity": format_decimal(row.quantity),
            "remaining": format_decimal(min(row.remaining, row.quantity)),
            "unit": row.unit,
            "urgency": row.urgency,
            "status": row.status,
            "place_name": row.place_name,
            "expires_at": iso(row.expires_at),
        },
    )
    return data


def reblog_status(
    status_id: int,
    uri: str | None,
    created_at: datetime,
    booster: dict[str, Any],
    original: dict[str, Any],
) -> dict[str, Any]:
    """A relay by a group or a boost by a member: Mastodon's reblog wrapper."""
    data = _base(
        str(status_id), uri or original["uri"], uri or original["url"], created_at, booster
    )
    data.update(
        content="",
        visibility=original["visibility"],
        reblog=original,
        favourited=original["favourited"],
        reblogged=original["reblogged"],
    )
    return data


def _base(
    status_id: str,
    uri: str,
    url: str,
    created_at: datetime,
    author: dict[str, Any],
    viewer: Viewer = Viewer(),
) -> dict[str, Any]:
    return {
        "id": status_id,
        "uri": uri,
        "url": url,
        "created_at": iso(created_at),
        "account": author,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": None,
        "content": "",
        "text": None,
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "language": "en",
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "application": None,
        "edited_at": None,
        "replies_count": viewer.replies_count,
        "reblogs_count": viewer.reblogs_count,
        "favourites_count": viewer.favourites_count,
        "favourited": viewer.favourited,
        "reblogged": viewer.reblogged,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
    }


def relationship(
    target_id: int,
    *,
    following: bool = False,
    requested: bool = False,
    followed_by: bool = False,
    requested_by: bool = False,
) -> dict[str, Any]:
    return {
        "id": str(target_id),
        "following": following,
        "showing_reblogs": following,
        "notifying": False,
        "languages": None,
        "followed_by": followed_by,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": requested,
        "requested_by": requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def notification(
    notification_id: int,
    type_: str,
    created_at: datetime,
    account_json: dict[str, Any],
    status_json: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "id": str(notification_id),
        "type": type_,
        "created_at": iso(created_at),
        "group_key": f"ungrouped-{notification_id}",
        "account": account_json,
        "status": status_json,
    }
