"""What kind of request a path is, decided before routing (middlewares). Pure."""

from __future__ import annotations


def is_inbox_post(method: str, path: str) -> bool:
    """A delivery to the shared inbox or an actor's inbox: server to server, no cookies."""
    return method == "POST" and (
        path == "/inbox" or (path.startswith("/users/") and path.endswith("/inbox"))
    )


def wants_activity_json(accept: str) -> bool:
    accept = accept.lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


def is_federation_request(method: str, path: str, accept: str) -> bool:
    """A request no page answers: an inbox delivery, a well-known document, or a fetch of an
    actor or its collections as ActivityPub JSON. It needs no session cookie or language."""
    if is_inbox_post(method, path):
        return True
    if method not in ("GET", "HEAD"):
        return False
    if path.startswith(("/.well-known/", "/nodeinfo/")):
        return True
    return path.startswith(("/users/", "/actor")) and wants_activity_json(accept)
