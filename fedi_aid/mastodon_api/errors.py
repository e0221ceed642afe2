"""Mastodon's error shape: `{"error": "..."}` with the status Mastodon uses."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedi_aid.web.responses import json_response

INVALID_TOKEN = "The access token is invalid"
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NOT_FOUND = "Record not found"


class ApiError(Exception):
    """Answer with this status and message (and, for OAuth, an `error_description`)."""

    def __init__(self, status: int, message: str, description: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.description = description

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.message}
        if self.description:
            body["error_description"] = self.description
        headers = (
            {"WWW-Authenticate": 'Bearer error="invalid_token"'} if self.status == 401 else None
        )
        return json_response(body, status=self.status, headers=headers)


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def invalid(message: str) -> ApiError:
    """422, as Mastodon words a failed validation."""
    return ApiError(422, f"Validation failed: {message}")
