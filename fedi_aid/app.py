"""Build the aiohttp Application: routes, middlewares, startup and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from fedi_aid.context import Context
from fedi_aid.local_actors import load_instance_key
from fedi_aid.mastodon_api import routes as mastodon_api
from fedi_aid.web import (
    activitypub,
    aid_objects,
    api,
    api_pledges,
    api_relay,
    discovery,
    ops,
    pages,
    sent_objects,
    wellknown,
)
from fedi_aid.web.document_cache import DocumentCache
from fedi_aid.web.keys import CONTEXT_KEY, DOCUMENTS_KEY
from fedi_aid.web.ratelimit import make_rate_limit_middleware
from fedi_aid.web.responses import error_middleware
from fedi_aid.worker import run_worker


def create_app(ctx: Context, *, run_worker_task: bool | None = None) -> web.Application:
    app = web.Application(
        middlewares=[
            ops.metrics_middleware,
            error_middleware,
            make_rate_limit_middleware(ctx.settings),
        ],
        client_max_size=ctx.settings.max_body_bytes + 1024,
    )
    app[CONTEXT_KEY] = ctx
    app[DOCUMENTS_KEY] = DocumentCache()
    wellknown.setup(app)
    activitypub.setup(app)
    aid_objects.setup(app)
    sent_objects.setup(app)
    api.setup(app)
    api_pledges.setup(app)
    api_relay.setup(app)
    pages.setup(app)
    ops.setup(app)
    discovery.setup(app)
    mastodon_api.setup(app)
    with_worker = ctx.settings.run_worker if run_worker_task is None else run_worker_task

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await ctx.start()
        await load_instance_key(ctx)
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(ctx, stop)) if with_worker else None
        yield
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        await ctx.close()

    app.cleanup_ctx.append(lifecycle)
    return app
