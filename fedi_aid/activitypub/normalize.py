"""Normalise ActivityStreams documents as real servers send them. Pure functions, no I/O.

Every inbound document passes through `normalize` once; the rest of the code then reads one
shape only (DESIGN §9):

- `to`, `cc`, `bto`, `bcc`, `audience` are lists of strings (a single value becomes a
  one-item list, `null` an empty list, embedded `{id, ...}` objects their id), and the public
  collection is always spelled `PUBLIC` (`as:Public`, `Public` and the `http://` variant are
  rewritten);
- `tag` and `attachment` are lists (items untouched);
- `actor` and `attributedTo` are the id string of the (first) actor;
- `type` is a string: from a list the first ActivityStreams type is chosen and the whole list
  is kept in `_types`;
- the embedded `object` (and its `object`, and so on) is normalised the same way.

Anything else, including `@context` and properties we do not know (`_misskey_content`,
`context_id`, `signature`, `proof`...), is copied untouched: it is ignored, never trusted.
Values the rules cannot make sense of (a number in `to`, an actor object without an id) are
left as they are, so that schema validation reports them with their path.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.vocab import AS_CONTEXT, PUBLIC, PUBLIC_ALIASES

AUDIENCE_FIELDS = ("to", "cc", "bto", "bcc", "audience")
LIST_FIELDS = ("tag", "attachment")
ACTOR_FIELDS = ("actor", "attributedTo")

# Every spelling of the public collection we rewrite to PUBLIC.
_PUBLIC_FORMS = frozenset(PUBLIC_ALIASES | {"http://www.w3.org/ns/activitystreams#Public"})

# Prefixes under which an ActivityStreams type may arrive (compacted or expanded forms).
_AS_TYPE_PREFIXES = ("as:", AS_CONTEXT + "#", "http://www.w3.org/ns/activitystreams#")

# The ActivityStreams 2.0 vocabulary (activity, actor, object and link types).
AS_TYPES = frozenset(
    {
        # activities
        "Accept",
        "Add",
        "Announce",
        "Arrive",
        "Block",
        "Create",
        "Delete",
        "Dislike",
        "Flag",
        "Follow",
        "Ignore",
        "Invite",
        "Join",
        "Leave",
        "Like",
        "Listen",
        "Move",
        "Offer",
        "Question",
        "Reject",
        "Read",
        "Remove",
        "TentativeReject",
        "TentativeAccept",
        "Travel",
        "Undo",
        "Update",
        "View",
        "Activity",
        "IntransitiveActivity",
        # actors
        "Application",
        "Group",
        "Organization",
        "Person",
        "Service",
        # objects
        "Object",
        "Article",
        "Audio",
        "Collection",
        "CollectionPage",
        "OrderedCollection",
        "OrderedCollectionPage",
        "Document",
        "Event",
        "Image",
        "Note",
        "Page",
        "Place",
        "Profile",
        "Relationship",
        "Tombstone",
        "Video",
        # links
        "Link",
        "Mention",
    }
)

# How deep embedded `object`s are normalised (Announce{Create{Note}} needs 3).
_MAX_OBJECT_DEPTH = 8

# RFC 3339 date-time; the fraction may carry any number of digits (Mitra sends nanoseconds).
_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?"
)


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a normalised deep copy of `doc`; the input is never modified.

    Raises TypeError if `doc` is not a dict (a JSON object).
    """
    if not isinstance(doc, dict):
        raise TypeError(f"an ActivityStreams document must be a JSON object, not {_kind(doc)}")
    copied = _copy_json(doc)
    node: dict[str, Any] | None = copied
    depth = 0
    while node is not None and depth < _MAX_OBJECT_DEPTH:
        _normalize_in_place(node)
        embedded = node.get("object")
        node = embedded if isinstance(embedded, dict) else None
        depth += 1
    return copied


def id_of(value: Any) -> str | None:
    """The id a property value refers to: a string is the id itself, an object its `id`,
    a list the id of its first item; anything else has none."""
    while isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp into a timezone-aware UTC datetime.

    Accepts whole seconds or any number of fractional digits (kept to microseconds) and a
    `Z` or `+hh:mm` / `-hh:mm` offset. A timestamp without an offset is rejected rather than
    guessed: the schemas' `date-time` format rejects it too, so the two always agree.
    """
    if not isinstance(text, str):
        raise ValueError(f"timestamp must be a string, not {_kind(text)}")
    match = _TIMESTAMP_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"not an RFC 3339 timestamp: {_clip(text)!r} (expected e.g. 2024-01-02T03:04:05Z)"
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu is None and sign is None:
        raise ValueError(
            f"timestamp has no UTC offset: {_clip(text)!r} (expected a 'Z' or '+hh:mm' suffix)"
        )
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if sign is None:
        tz = UTC
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"timestamp has an invalid UTC offset: {_clip(text)!r}")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
    except ValueError as exc:
        raise ValueError(f"timestamp out of range: {_clip(text)!r} ({exc})") from None
    return parsed.astimezone(UTC)


def host_of(uri: str) -> str:
    """The lowercase host of `uri`, with its port when that is not the scheme's default.

    IDN hosts are given in their ASCII (punycode) form and a trailing dot is dropped, so two
    spellings of one host compare equal. Raises ValueError when `uri` has no host.
    """
    scheme, host, port = _origin(uri)
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{host}:{port}"
    return host


def same_origin(a: str, b: str) -> bool:
    """True when both URIs have the same scheme, host and (effective) port."""
    try:
        return _effective_origin(a) == _effective_origin(b)
    except ValueError:
        return False


def is_public(doc: dict[str, Any]) -> bool:
    """True when the public collection is in `to` or `cc` (in any of its spellings)."""
    if not isinstance(doc, dict):
        return False
    return any(PUBLIC in _audience_list(doc.get(field)) for field in ("to", "cc"))


# -- internals -------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalize_in_place(node: dict[str, Any]) -> None:
    """Normalise the top level of `node` (already a private copy)."""
    for field in AUDIENCE_FIELDS:
        if field in node:
            node[field] = _audience_list(node[field])
    for field in LIST_FIELDS:
        if field in node:
            node[field] = _as_list(node[field])
    for field in ACTOR_FIELDS:
        value = node.get(field)
        if isinstance(value, dict | list):
            ident = id_of(value)
            if ident is not None:
                node[field] = ident
    if "type" in node:
        _normalize_type(node)


def _normalize_type(node: dict[str, Any]) -> None:
    value = node["type"]
    if isinstance(value, str):
        node["type"] = _short_type(value)
        return
    if not isinstance(value, list):
        return
    strings = [item for item in value if isinstance(item, str)]
    if not strings:
        return
    node["_types"] = list(value)
    shortened = [_short_type(item) for item in strings]
    node["type"] = next((t for t in shortened if t in AS_TYPES), shortened[0])


def _short_type(value: str) -> str:
    for prefix in _AS_TYPE_PREFIXES:
        if value.startswith(prefix) and value[len(prefix) :] in AS_TYPES:
            return value[len(prefix) :]
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _audience_list(value: Any) -> list[Any]:
    result = []
    for item in _as_list(value):
        if item is None:
            continue
        if isinstance(item, dict):
            ident = id_of(item)
            item = ident if ident is not None else item
        if isinstance(item, str) and item in _PUBLIC_FORMS:
            item = PUBLIC
        result.append(item)
    return result


def _copy_json(value: Any) -> Any:
    """Deep-copy a JSON value without recursion (documents can nest deeply)."""
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, dict | list):
                child: Any = {} if isinstance(item, dict) else []
                stack.append((item, child))
            else:
                child = item
            if isinstance(target, dict):
                target[key] = child
            else:
                target.append(child)
    return root


def _origin(uri: str) -> tuple[str, str, int | None]:
    if not isinstance(uri, str):
        raise ValueError(f"URI must be a string, not {_kind(uri)}")
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URI: {_clip(uri)!r} ({exc})") from None
    host = (parts.hostname or "").rstrip(".")
    if not host or not parts.scheme:
        raise ValueError(f"URI has no host: {_clip(uri)!r}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    elif not host.isascii():
        with contextlib.suppress(UnicodeError):  # else keep the lowercase Unicode form
            host = host.encode("idna").decode("ascii")
    return parts.scheme.lower(), host, port


def _effective_origin(uri: str) -> tuple[str, str, int | None]:
    scheme, host, port = _origin(uri)
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
