"""The authorize page: the member logs in (username + password) and approves the app.

It has its own small login form, protected by a double-submit CSRF token: a random value in a
SameSite=Strict cookie and in a hidden field. Approving gives an authorization code (bound to
the redirect URI and, with PKCE, to the S256 challenge), sent to the redirect URI or, for
`urn:ietf:wg:oauth:2.0:oob`, shown on the page.
"""

from __future__ import annotations

import hmac
import re
import secrets
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from fedi_aid.accounts import authenticate
from fedi_aid.context import Context
from fedi_aid.db.models_oauth import OAuthApp
from fedi_aid.mastodon_api import tokens
from fedi_aid.mastodon_api.errors import ApiError
from fedi_aid.mastodon_api.params import text
from fedi_aid.mastodon_api.scopes import parse_scopes, subset
from fedi_aid.web.keys import CONTEXT_KEY

CSRF_COOKIE = "fedi_aid_oauth_csrf"
AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;"
        "padding:0 1rem}label{display:block;margin:.6rem 0}input{width:100%;padding:.4rem}"
        "button{padding:.5rem 1rem;margin:.6rem .4rem 0 0}.error{color:#a00}</style>"
        f"<h1>{escape(title)}</h1>{body}</html>"
    )
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    # No form-action: browsers apply it to the redirect after the POST, and the redirect goes
    # to the app (another origin or a custom scheme such as tusky://).
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


async def _checked_request(ctx: Context, params: dict[str, Any]) -> tuple[OAuthApp, list[str]]:
    """The app and scopes of an authorization request; ApiError(400) names what is wrong."""
    async with ctx.sessions() as session:
        app = await tokens.find_app(session, text(params, "client_id"))
    if app is None:
        raise ApiError(400, "invalid_client", "client_id is unknown: register the app first")
    if text(params, "response_type", "code") != "code":
        raise ApiError(400, "unsupported_response_type", "only response_type=code is supported")
    redirect_uri = text(params, "redirect_uri")
    if redirect_uri not in app.redirect_uris.split("\n"):
        raise ApiError(400, "invalid_request", "redirect_uri is not one the app registered")
    try:
        scopes = parse_scopes(text(params, "scope") or None)
    except ValueError as exc:
        raise ApiError(400, "invalid_scope", str(exc)) from None
    if not subset(scopes, app.scopes.split()):
        raise ApiError(400, "invalid_scope", "the requested scope exceeds the app's scopes")
    method = text(params, "code_challenge_method", "plain")
    challenge = text(params, "code_challenge")
    if challenge and method != "S256":
        raise ApiError(400, "invalid_request", "code_challenge_method must be S256")
    if challenge and not re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", challenge):
        raise ApiError(400, "invalid_request", "code_challenge must be 43-128 base64url characters")
    return app, scopes


def _form(app: OAuthApp, scopes: list[str], params: dict[str, Any], csrf: str, message: str) -> str:
    hidden = "".join(
        f'<input type=hidden name="{name}" value="{escape(text(params, name))}">'
        for name in AUTHORIZE_FIELDS
        if params.get(name)
    )
    error = f"<p class=error role=alert>{escape(message)}</p>" if message else ""
    return (
        f"<p><strong>{escape(app.name)}</strong> asks to use your account "
        f"with these permissions: <code>{escape(' '.join(scopes))}</code>.</p>{error}"
        '<form method=post action="/oauth/authorize">'
        f'<input type=hidden name=csrf_token value="{escape(csrf)}">{hidden}'
        "<label>Username <input name=username autocomplete=username required></label>"
        "<label>Password <input name=password type=password autocomplete=current-password required></label>"
        "<button name=decision value=approve>Authorize</button>"
        "<button name=decision value=deny formnovalidate>Deny</button></form>"
    )


async def authorize_form(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    params = dict(request.query)
    try:
        app, scopes = await _checked_request(ctx, params)
    except ApiError as exc:
        return _page(
            "Cannot authorize", f"<p class=error>{escape(exc.description or exc.message)}</p>", 400
        )
    csrf = secrets.token_urlsafe(24)
    response = _page("Authorize " + app.name, _form(app, scopes, params, csrf, ""))
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="Strict",
        path="/oauth",
        secure=ctx.settings.base_url.startswith("https://"),
    )
    return response


async def authorize_submit(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT_KEY]
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, text(params, "csrf_token")):
        return _page(
            "Cannot authorize",
            "<p class=error>The form expired or came from another site: open the app's login link again.</p>",
            403,
        )
    try:
        app, scopes = await _checked_request(ctx, params)
    except ApiError as exc:
        return _page(
            "Cannot authorize", f"<p class=error>{escape(exc.description or exc.message)}</p>", 400
        )
    redirect_uri = text(params, "redirect_uri")
    state = text(params, "state")
    if text(params, "decision") != "approve":
        if redirect_uri == tokens.OOB:
            return _page("Denied", "<p>You did not authorize the app.</p>")
        return _redirect(redirect_uri, {"error": "access_denied", "state": state})
    async with ctx.sessions.begin() as session:
        user = await authenticate(session, text(params, "username"), text(params, "password"))
        if user is None:
            body = _form(app, scopes, params, cookie, "Wrong username or password.")
            return _page("Authorize " + app.name, body, 401)
        code = await tokens.create_code(
            session, app, user, scopes, redirect_uri, text(params, "code_challenge") or None
        )
    if redirect_uri == tokens.OOB:
        body = f"<p>Copy this code into the app:</p><p><code id=code>{escape(code)}</code></p>"
        return _page("Authorization code", body)
    return _redirect(redirect_uri, {"code": code, "state": state})


def _redirect(uri: str, values: dict[str, str]) -> web.Response:
    query = urlencode({k: v for k, v in values.items() if v})
    separator = "&" if urlsplit(uri).query else "?"
    response = web.Response(status=302)
    response.headers["Location"] = f"{uri}{separator}{query}"
    response.headers["Cache-Control"] = "no-store"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/oauth/authorize", authorize_form)
    app.router.add_post("/oauth/authorize", authorize_submit)
