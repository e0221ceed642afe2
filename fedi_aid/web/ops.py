"""Operations: /healthz (process up), /readyz (database reachable), /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from fedi_aid import metrics
from fedi_aid.clock import as_utc, utcnow
from fedi_aid.db.models import Delivery, InboxItem
from fedi_aid.web.keys import CONTEXT_KEY
from fedi_aid.web.paths import is_inbox_post
from fedi_aid.web.responses import error_response, json_response

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 5.0
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Why an inbox POST was refused, by the status receive() answered with.
INBOX_RESULTS = {
    202: "accepted",
    400: "invalid",
    401: "signature",
    403: "blocked_or_forbidden",
    404: "unknown_recipient",
    413: "too_large",
    415: "content_type",
    429: "rate_limited",
    503: "unavailable",
}


def route_of(request: web.Request) -> str:
    """The route's pattern (/users/{name}/inbox), never the raw path: bounded label values."""
    info = request.match_info
    route = getattr(info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is None:
        return "unmatched"
    return resource.canonical


def is_inbox(request: web.Request) -> bool:
    return is_inbox_post(request.method, request.path)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.count(
            "fedi_aid_http_requests_total",
            route=route_of(request),
            method=request.method,
            status=str(status),
        )
        if is_inbox(request):
            result = INBOX_RESULTS.get(status, f"status_{status}")
            metrics.count("fedi_aid_inbox_activities_total", result=result)
            if status == 401:
                metrics.count("fedi_aid_signature_failures_total")


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with ctx.sessions() as session:
                await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("readiness check failed: %s", exc.__class__.__name__)
        return error_response(503, "the database is not reachable", {"Retry-After": "10"})
    return json_response({"status": "ready"})


async def _queue_lines(request: web.Request) -> list[str]:
    ctx = request.app[CONTEXT_KEY]
    now = utcnow()
    async with ctx.sessions() as session:
        by_state = {
            state: int(n)
            for state, n in await session.execute(
                select(Delivery.state, func.count()).group_by(Delivery.state)
            )
        }
        oldest_delivery = (
            await session.execute(
                select(func.min(Delivery.created_at)).where(Delivery.state == "pending")
            )
        ).scalar_one()
        inbox_pending, oldest_inbox = (
            await session.execute(
                select(func.count(), func.min(InboxItem.received_at)).where(
                    InboxItem.state == "pending"
                )
            )
        ).one()

    def age(oldest: Any) -> float:
        return max(0.0, (now - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0

    lines: list[str] = []
    lines += metrics.family(
        "fedi_aid_deliveries",
        "gauge",
        "Delivery rows by state (pending, sent, dead): the outcome of every delivery.",
        [
            metrics.sample("fedi_aid_deliveries", {"state": s}, n)
            for s, n in sorted(by_state.items())
        ],
    )
    lines += metrics.family(
        "fedi_aid_queue_depth",
        "gauge",
        "Jobs waiting: pending deliveries and unprocessed inbox activities.",
        [
            metrics.sample(
                "fedi_aid_queue_depth", {"queue": "deliveries"}, by_state.get("pending", 0)
            ),
            metrics.sample("fedi_aid_queue_depth", {"queue": "inbox"}, int(inbox_pending)),
        ],
    )
    lines += metrics.family(
        "fedi_aid_queue_oldest_age_seconds",
        "gauge",
        "Age of the oldest waiting job (0 when the queue is empty).",
        [
            metrics.sample(
                "fedi_aid_queue_oldest_age_seconds", {"queue": "deliveries"}, age(oldest_delivery)
            ),
            metrics.sample(
                "fedi_aid_queue_oldest_age_seconds", {"queue": "inbox"}, age(oldest_inbox)
            ),
        ],
    )
    return lines


async def metrics_view(request: web.Request) -> web.Response:
    lines = metrics.render_counters()
    try:
        lines += await _queue_lines(request)
        up = 1
    except (SQLAlchemyError, OSError) as exc:
        log.warning("metrics: database not reachable: %s", exc.__class__.__name__)
        up = 0
    lines += metrics.family(
        "fedi_aid_database_up",
        "gauge",
        "1 when the database answered this scrape.",
        [metrics.sample("fedi_aid_database_up", {}, up)],
    )
    return web.Response(
        body=("\n".join(lines) + "\n").encode(),
        headers={"Content-Type": PROMETHEUS_TYPE, "Cache-Control": "no-store"},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
