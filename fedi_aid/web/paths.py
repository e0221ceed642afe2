"""What kind of request a path is, decided before routing (middlewares). Pure."""

from __future__ import annotations


def is_inbox_post(method: str, path: str) -> bool:
    """A delivery to the shared inbox or an actor's inbox: server to server, no cookies."""
    return method == "POST" and (
        path == "/inbox" or (path.startswith("/users/") and path.endswith("/inbox"))
    )
