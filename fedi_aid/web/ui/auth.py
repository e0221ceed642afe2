"""Logging in and out. A wrong password gets one clear message and no session."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session, new_session

from fedi_aid.accounts import authenticate
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.ui.i18n import _, ngettext
from fedi_aid.web.ui.render import USER_ID, USER_KEY, current_user, flash, render, safe_next
from fedi_aid.web.ui.security import LIMITER_KEY, csrf_token

FIELD_MAX = 200


async def login_form(request: web.Request) -> web.Response:
    if await current_user(request) is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next"), "/admin"))
    context = {"username": "", "error": None, "next": safe_next(request.query.get("next"), "")}
    return await render(request, "login.html", context)


async def login(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    username = form.get("username", "").strip()[:FIELD_MAX]
    password = form.get("password", "")[:1024]
    target = safe_next(form.get("next"), "/admin")
    limiter = request.app[LIMITER_KEY]
    address = request.remote or "unknown"
    context = {"username": username, "next": form.get("next", ""), "error": None}
    wait = limiter.retry_after(username, address)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        context["error"] = ngettext(
            "Too many failed logins. Try again in %(num)d minute.",
            "Too many failed logins. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        response = await render(request, "login.html", context, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = None
    if username and password:
        async with request.app[CONTEXT_KEY].sessions.begin() as db:
            user = await authenticate(db, username, password)
            user_id = user.id if user is not None else None
    if user is None:
        limiter.failed(username, address)
        session = await get_session(request)
        session.pop(USER_ID, None)
        context["error"] = _("Wrong user name or password.")
        return await render(request, "login.html", context, status=401)
    limiter.succeeded(username)
    old = await get_session(request)
    lang_flash = old.get("flash", [])
    session = await new_session(request)  # a fresh session (and CSRF token) after login
    session[USER_ID] = user_id
    session["flash"] = lang_flash
    csrf_token(session)
    request.pop(USER_KEY, None)
    raise web.HTTPSeeOther(target)


async def logout(request: web.Request, form: dict[str, str]) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()
    session = await new_session(request)
    request[USER_KEY] = None
    await flash(request, _("You are logged out."))
    raise web.HTTPSeeOther("/")
