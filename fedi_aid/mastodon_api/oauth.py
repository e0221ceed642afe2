"""OAuth 2 for Mastodon apps: register an app, exchange a code for a token, revoke it, and the
server metadata document. The authorize page itself is in authorize.py."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from fedi_aid.context import Context
from fedi_aid.db.models_oauth import OAuthApp, OAuthToken
from fedi_aid.mastodon_api import authorize, tokens
from fedi_aid.mastodon_api.auth import Caller, endpoint
from fedi_aid.mastodon_api.errors import ApiError, invalid
from fedi_aid.mastodon_api.params import read_params, text
from fedi_aid.mastodon_api.scopes import GRANULAR, TOP, parse_scopes
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.responses import json_response


def _redirect_uris(params: dict[str, Any]) -> list[str]:
    raw = params.get("redirect_uris")
    values = raw if isinstance(raw, list) else str(raw or "").split()
    uris = [str(v).strip() for v in values if str(v).strip()]
    if not uris:
        raise invalid("Redirect URI can't be blank")
    for uri in uris:
        if uri != tokens.OOB and not urlsplit(uri).scheme:
            raise invalid(f"Redirect URI must be an absolute URI: {uri!r}")
        if len(uri) > 2000:
            raise invalid("Redirect URI is too long (maximum is 2000 characters)")
    return uris


def app_json(app: OAuthApp, secret: str | None = None) -> dict[str, Any]:
    uris = app.redirect_uris.split("\n")
    data: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "client_id": app.client_id,
        "vapid_key": "",
    }
    if secret is not None:
        data["client_secret"] = secret
        data["client_secret_expires_at"] = 0
    return data


@endpoint(public=True)
async def create_app(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    params = await read_params(request)
    name = text(params, "client_name").strip()
    if not name:
        raise invalid("Name can't be blank")
    raw = params.get("scopes")
    try:
        scopes = parse_scopes(
            " ".join(map(str, raw)) if isinstance(raw, list) else text(params, "scopes") or None
        )
    except ValueError as exc:
        raise invalid(f"Scopes {exc}") from None
    uris = _redirect_uris(params)
    website = text(params, "website") or None
    if website is not None and len(website) > 2000:
        raise invalid("Website is too long (maximum is 2000 characters)")
    async with ctx.sessions.begin() as session:
        new = await tokens.create_app(session, name[:200], uris, scopes, website)
        return json_response(app_json(new.app, new.client_secret))


@endpoint()
async def verify_app(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    async with ctx.sessions() as session:
        token = await session.get(OAuthToken, caller.token_id)
        app = await session.get(OAuthApp, token.app_id) if token and token.app_id else None
        if app is None:
            raise ApiError(404, "this token belongs to no app")
        data = app_json(app)
        return json_response(data)


async def _client(
    ctx: Context, params: dict[str, Any], request: web.Request, *, pkce: bool
) -> OAuthApp:
    client_id, client_secret = text(params, "client_id"), text(params, "client_secret")
    basic = request.headers.get("Authorization", "")
    if basic.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "invalid_client", "the Basic credentials are malformed") from None
    async with ctx.sessions() as session:
        app = await tokens.find_app(session, client_id)
    if app is None:
        raise ApiError(401, "invalid_client", "client_id is unknown")
    if (client_secret or not pkce) and not tokens.secret_matches(app, client_secret):
        raise ApiError(401, "invalid_client", "client_secret is wrong")
    return app


@endpoint(public=True)
async def token(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    params = await read_params(request)
    grant = text(params, "grant_type")
    if grant != "authorization_code":
        raise ApiError(
            400,
            "unsupported_grant_type",
            "use grant_type=authorization_code (see /oauth/authorize)",
        )
    if not params.get("code"):
        raise ApiError(400, "invalid_request", "code is missing")
    app = await _client(ctx, params, request, pkce=bool(params.get("code_verifier")))
    async with ctx.sessions.begin() as session:
        access, row = await tokens.redeem_code(
            session,
            app,
            text(params, "code"),
            text(params, "redirect_uri", tokens.OOB),
            text(params, "code_verifier") or None,
        )
        created = int(row.created_at.timestamp())
        scope = row.scopes
    body = {"access_token": access, "token_type": "Bearer", "scope": scope, "created_at": created}
    return json_response(body, headers={"Cache-Control": "no-store"})


@endpoint(public=True)
async def revoke(request: web.Request, ctx: Context, caller: Caller) -> web.Response:
    params = await read_params(request)
    app = await _client(ctx, params, request, pkce=False)
    async with ctx.sessions.begin() as session:
        await tokens.revoke_token(session, app, text(params, "token"))
    return json_response({})


async def server_metadata(request: web.Request) -> web.Response:
    base = request.app[CONTEXT_KEY].settings.base_url.rstrip("/")
    return json_response(
        {
            "issuer": base + "/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": [*TOP, *GRANULAR],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/apps", create_app)
    app.router.add_get("/api/v1/apps/verify_credentials", verify_app)
    authorize.setup(app)
    app.router.add_post("/oauth/token", token)
    app.router.add_post("/oauth/revoke", revoke)
    app.router.add_get("/.well-known/oauth-authorization-server", server_metadata)
