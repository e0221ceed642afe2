"""A post that mentions a group -> what intake keeps of it. Pure: no I/O.

Mastodon sends a mention as a `Note` whose `tag` holds `{"type": "Mention", "href": <actor>}`
and whose `content` is HTML with the hashtags as links; `#need` / `#offer` hint at the kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fedi_aid.activitypub.normalize import id_of
from fedi_aid.activitypub.sanitize import html_to_text, sanitize_html
from fedi_aid.aid.categories import UnknownCategory, resolve_category

MAX_TEXT = 5000
MAX_TITLE = 120
KIND_TAGS = {"need": "need", "needs": "need", "offer": "offer", "offers": "offer"}
NOT_CATEGORIES = frozenset({"need", "needs", "offer", "offers", "mutualaid"})
_MENTION_RE = re.compile(r"(?<!\w)@[\w.-]+(?:@[\w.:-]+)?")
_HASHTAG_RE = re.compile(r"(?<!\w)#(\w+)")
_TRAILING_TAGS_RE = re.compile(r"(?:\s*(?<!\w)#\w+)+\s*$")


@dataclass(frozen=True)
class MentionAsk:
    note_uri: str
    mentions: tuple[str, ...]
    text: str
    hashtags: tuple[str, ...]  # lower case, without '#'
    in_reply_to: str | None
    kind_hint: str | None
    category_hint: str | None


def _tags(doc: dict[str, Any]) -> list[dict[str, Any]]:
    tags = doc.get("tag", [])
    tags = tags if isinstance(tags, list) else [tags]
    return [t for t in tags if isinstance(t, dict)]


def _hashtags(doc: dict[str, Any], text: str) -> tuple[str, ...]:
    names = [
        t["name"].lstrip("#")
        for t in _tags(doc)
        if t.get("type") == "Hashtag" and isinstance(t.get("name"), str)
    ]
    names.extend(_HASHTAG_RE.findall(text))
    return tuple(dict.fromkeys(n.lower() for n in names if n))


def _category_hint(hashtags: tuple[str, ...]) -> str | None:
    for tag in hashtags:
        if tag in NOT_CATEGORIES:
            continue
        try:
            return resolve_category(tag)
        except UnknownCategory:
            continue
    return None


def mention_ask(doc: dict[str, Any]) -> MentionAsk | None:
    """The ask in a (normalised) Note, or None when it mentions nobody or has no id."""
    note_uri = doc.get("id")
    if not isinstance(note_uri, str) or doc.get("type") != "Note":
        return None
    mentions = tuple(
        dict.fromkeys(
            t["href"]
            for t in _tags(doc)
            if t.get("type") == "Mention" and isinstance(t.get("href"), str)
        )
    )
    if not mentions:
        return None
    content = doc.get("content")
    text = html_to_text(sanitize_html(content)) if isinstance(content, str) else ""
    hashtags = _hashtags(doc, text)
    kind = next((KIND_TAGS[t] for t in hashtags if t in KIND_TAGS), None)
    return MentionAsk(
        note_uri=note_uri,
        mentions=mentions,
        text=text[:MAX_TEXT],
        hashtags=hashtags,
        in_reply_to=id_of(doc.get("inReplyTo")),
        kind_hint=kind,
        category_hint=_category_hint(hashtags),
    )


def plain_request(text: str) -> str:
    """The ask without @mentions and #hashtags: what a need's description starts from."""
    cleaned = _TRAILING_TAGS_RE.sub("", _MENTION_RE.sub("", text))
    cleaned = _HASHTAG_RE.sub(lambda m: m.group(1), cleaned)
    cleaned = "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in cleaned.splitlines())
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def suggested_title(text: str) -> str:
    """The first line of the plain ask, shortened: a default title for the need."""
    first = next((line for line in plain_request(text).splitlines() if line.strip()), "")
    if len(first) > MAX_TITLE:
        first = first[: MAX_TITLE - 1].rstrip() + "…"
    return first or "Request from the community"
