"""The HTML pages: home, group profiles, need/offer pages, organiser pages (web/ui/).

`render_profile` and `render_item` are what the content-negotiated views in activitypub.py and
aid_objects.py answer browsers with.
"""

from __future__ import annotations

from aiohttp import web

from fedi_aid.web.ui import setup as ui_setup
from fedi_aid.web.ui.public import render_item, render_profile

__all__ = ["render_item", "render_profile", "setup"]


def setup(app: web.Application) -> None:
    ui_setup.setup(app)
