"""Register every Mastodon client API route on the application."""

from __future__ import annotations

from aiohttp import web

from fedi_aid.mastodon_api import (
    accounts,
    instance,
    notifications,
    oauth,
    search,
    statuses,
    timelines,
)


def setup(app: web.Application) -> None:
    before = len(app.router.routes())
    for module in (oauth, accounts, statuses, timelines, search, notifications, instance):
        module.setup(app)
    # Mastodon (Rails) ignores a trailing slash, and clients send one (`/api/v1/instance/`).
    for route in list(app.router.routes())[before:]:
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/") and route.method != "HEAD":
            app.router.add_route(route.method, path + "/", route.handler)
