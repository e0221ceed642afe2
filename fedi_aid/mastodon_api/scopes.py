"""OAuth scopes as Mastodon names them. Pure."""

from __future__ import annotations

TOP = ("read", "write", "follow", "push", "profile")
GRANULAR = (
    *(
        f"read:{name}"
        for name in [
            "accounts",
            "blocks",
            "bookmarks",
            "favourites",
            "filters",
            "follows",
            "lists",
            "mutes",
            "notifications",
            "search",
            "statuses",
        ]
    ),
    *(
        f"write:{name}"
        for name in [
            "accounts",
            "blocks",
            "bookmarks",
            "conversations",
            "favourites",
            "filters",
            "follows",
            "lists",
            "media",
            "mutes",
            "notifications",
            "reports",
            "statuses",
        ]
    ),
)
KNOWN = frozenset((*TOP, *GRANULAR))
# `follow` is the old name for these (Mastodon still honours it).
FOLLOW_SCOPE_COVERS = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)


def parse_scopes(text: str | None, default: str = "read") -> list[str]:
    """`"read write"` (space or + separated) -> ["read", "write"]; raises ValueError when unknown."""
    names = (text or default).replace("+", " ").replace(",", " ").split()
    unknown = [name for name in names if name not in KNOWN]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return list(dict.fromkeys(names or [default]))


def allows(granted: list[str] | set[str], required: str) -> bool:
    """A token with `granted` may do what needs `required` (e.g. `write:statuses`)."""
    granted = set(granted)
    if required in granted:
        return True
    top, _, _ = required.partition(":")
    if top in granted:
        return True
    return "follow" in granted and required in FOLLOW_SCOPE_COVERS


def subset(requested: list[str], allowed: list[str]) -> bool:
    """Every requested scope is within what the app registered."""
    return all(allows(allowed, scope) or scope in allowed for scope in requested)
