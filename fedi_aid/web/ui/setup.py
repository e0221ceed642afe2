"""Wire the HTML interface into the application: templates, sessions, language, routes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.paths import is_federation_request
from fedi_aid.web.ui import (
    admin_blocks,
    admin_follows,
    admin_items,
    admin_settings,
    auth,
    gaps,
    i18n,
    pledging,
    public,
    views,
)
from fedi_aid.web.ui.guard import UiError
from fedi_aid.web.ui.i18n import _
from fedi_aid.web.ui.render import error_page
from fedi_aid.web.ui.security import (
    LIMITER_KEY,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    CsrfRejected,
    LoginLimiter,
    checked_form,
    load_session_key,
)

WEB_DIR = Path(__file__).resolve().parent.parent
FormHandler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]

# No inline script, no third-party anything; inline style attributes for the met bars only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self' http: https:"
)


@web.middleware
async def language_middleware(request: web.Request, handler: views.Handler) -> web.StreamResponse:
    i18n.set_language(
        i18n.choose_language(
            request.cookies.get(i18n.COOKIE), request.headers.get("Accept-Language")
        )
    )
    try:
        response = await handler(request)
    except UiError as exc:
        response = await error_page(request, exc.status, exc.message)
    except CsrfRejected:
        message = _(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        )
        response = await error_page(request, 403, message)
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Vary", "Accept, Accept-Language, Cookie")
    return response


def pages_middleware(storage: aiohttp_session.AbstractStorage) -> views.Handler:
    """The session cookie and the language, for every request but those of other servers
    (inbox deliveries, actor and WebFinger fetches: no cookies, no pages; the busiest routes
    skip the work)."""
    sessions = aiohttp_session.session_middleware(storage)

    @web.middleware
    async def middleware(request: web.Request, handler: views.Handler) -> web.StreamResponse:
        if is_federation_request(request.method, request.path, request.headers.get("Accept", "")):
            return await handler(request)
        return await sessions(request, functools.partial(language_middleware, handler=handler))

    return middleware


def form(handler: FormHandler) -> views.Handler:
    """A POST handler that runs only when the form's CSRF token matches the session's."""

    async def checked(request: web.Request) -> web.StreamResponse:
        return await handler(request, await checked_form(request))

    return checked


def environment(app: web.Application) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(views.FILTERS)
    env.globals.update(views.GLOBALS)
    return env


def setup(app: web.Application) -> None:
    settings = app[CONTEXT_KEY].settings
    storage = EncryptedCookieStorage(
        load_session_key(settings.data_dir),
        cookie_name=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.base_url.startswith("https://"),
    )
    app.middlewares.append(pages_middleware(storage))
    app[LIMITER_KEY] = LoginLimiter()
    environment(app)
    app.router.add_static("/static/", WEB_DIR / "static", name="static")
    r = app.router
    r.add_get("/", public.home)
    r.add_get("/near", public.near)
    r.add_get("/@{name}/remote-follow", public.remote_follow)
    r.add_post("/lang", form(public.switch_language))
    r.add_post("/needs/{token}/pledge", form(pledging.pledge))
    r.add_get("/gaps", gaps.gaps_page)
    r.add_get("/login", auth.login_form)
    r.add_post("/login", form(auth.login))
    r.add_post("/logout", form(auth.logout))
    r.add_get("/admin", admin_items.index)
    r.add_get("/admin/{group}", admin_items.group_items)
    r.add_get("/admin/{group}/{kind:needs|offers}/new", admin_items.new_item_form)
    r.add_post("/admin/{group}/{kind:needs|offers}/new", form(admin_items.create_item))
    r.add_get("/admin/{group}/items/{id}", admin_items.edit_item_form)
    r.add_post("/admin/{group}/items/{id}", form(admin_items.save_item))
    r.add_post("/admin/{group}/items/{id}/withdraw", form(admin_items.withdraw))
    r.add_get("/admin/{group}/items/{id}/matches", admin_items.matches_page)
    r.add_get("/admin/{group}/pledges", pledging.pledges_page)
    r.add_post("/admin/{group}/pledges/{id}", form(pledging.pledge_action))
    r.add_get("/admin/{group}/follows", admin_follows.follows_page)
    r.add_post("/admin/{group}/follows", form(admin_follows.follow_action))
    r.add_get("/admin/{group}/blocks", admin_blocks.blocks_page)
    r.add_post("/admin/{group}/blocks", form(admin_blocks.block_action))
    r.add_get("/admin/{group}/relay", admin_settings.relay_page)
    r.add_post("/admin/{group}/relay", form(admin_settings.save_relay))
    r.add_get("/admin/{group}/tokens", admin_settings.tokens_page)
    r.add_post("/admin/{group}/tokens", form(admin_settings.create_token_action))
    r.add_post("/admin/{group}/tokens/{id}/revoke", form(admin_settings.revoke_token_action))
