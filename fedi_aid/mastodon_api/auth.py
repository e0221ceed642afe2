"""Who is calling: the bearer token, its user and scopes; the endpoint decorator."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.aid.publish import AidError
from fedi_aid.context import Context
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models_accounts import User
from fedi_aid.mastodon_api.errors import INVALID_TOKEN, OUTSIDE_SCOPES, ApiError
from fedi_aid.mastodon_api.scopes import allows
from fedi_aid.mastodon_api.tokens import find_token
from fedi_aid.web.keys import CONTEXT_KEY

log = logging.getLogger(__name__)


@dataclass
class Caller:
    """The user behind a token (None for an anonymous call to a public endpoint)."""

    user: User | None
    scopes: list[str]
    token_id: int | None = None

    def need_user(self) -> User:
        if self.user is None:
            raise ApiError(401, INVALID_TOKEN)
        return self.user


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def identify(session: AsyncSession, request: web.Request) -> Caller:
    token = bearer(request)
    if token is None:
        return Caller(None, [])
    row = await find_token(session, token)
    if row is None:
        raise ApiError(401, INVALID_TOKEN)
    user = await session.get(User, row.user_id)
    if user is None:
        raise ApiError(401, INVALID_TOKEN)
    return Caller(user, row.scopes.split(), row.id)


Handler = Callable[[web.Request, Context, Caller], Awaitable[web.StreamResponse]]


def endpoint(
    scope: str | None = None, *, public: bool = False
) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Authenticate (unless `public` and anonymous), check `scope`, turn errors into Mastodon's."""

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            ctx = request.app[CONTEXT_KEY]
            try:
                async with ctx.sessions() as session:
                    caller = await identify(session, request)
                if caller.user is None and not public:
                    raise ApiError(401, INVALID_TOKEN)
                if caller.user is not None and scope and not allows(caller.scopes, scope):
                    raise ApiError(403, OUTSIDE_SCOPES)
                return await handler(request, ctx, caller)
            except ApiError as exc:
                return exc.response()
            except AidError as exc:
                status = 422 if exc.status == 400 else exc.status
                return ApiError(status, exc.message).response()
            except NotFound as exc:
                return ApiError(404, str(exc) or "Record not found").response()

        return run

    return wrap
