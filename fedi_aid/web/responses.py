"""Response helpers and the error middleware: every error is {"error", "detail"} with a status."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from fedi_aid.activitypub.vocab import AP_CONTENT_TYPE

log = logging.getLogger(__name__)


def json_response(
    data: Any, *, status: int = 200, content_type: str = "application/json", headers: Any = None
) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = web.Response(body=body, status=status, headers=headers)
    response.content_type = content_type
    response.charset = "utf-8"
    return response


def activity_response(data: Any, *, status: int = 200) -> web.Response:
    response = json_response(data, status=status, content_type=AP_CONTENT_TYPE)
    response.headers["Vary"] = "Accept"
    return response


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    reason = web.Response(status=status).reason
    return json_response({"error": message, "detail": reason}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        return error_response(exc.status, message, dict(exc.headers) if exc.status == 405 else None)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error; the request was not processed")
