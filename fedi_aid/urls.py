"""Where local things live. Pure: a base URL in, URLs out."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

USERNAME_RE = re.compile(r"^[a-z0-9_]{1,30}$")
INSTANCE_ACTOR_USERNAME = "instance.actor"


@dataclass(frozen=True)
class Urls:
    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def activity(self, kind: str) -> str:
        """A fresh id for an activity we emit (kind: follow, accept, undo, update...)."""
        return f"{self.base}/activities/{kind}/{secrets.token_urlsafe(12)}"

    def note(self) -> str:
        """A fresh id for a Note a group writes (a reply); its Create is `<id>/activity`."""
        return f"{self.base}/notes/{secrets.token_urlsafe(12)}"


def valid_username(name: str) -> bool:
    return bool(USERNAME_RE.match(name))
