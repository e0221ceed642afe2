"""The OpenAPI description of /api/aid/v1/relay-policy (merged by openapi.py)."""

from __future__ import annotations

from typing import Any

PREFIX = "/api/aid/v1"
FIELDS = ("enabled", "kinds", "categories", "min_urgency", "max_distance_km")


POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["group", "enabled", "kinds", "categories", "min_urgency", "max_distance_km"],
    "properties": {
        "group": {"type": "string"},
        "enabled": {"type": "boolean"},
        "kinds": {"type": "array", "items": {"enum": ["need", "offer"]}},
        "categories": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "min_urgency": {"enum": ["low", "normal", "high", "critical"]},
        "max_distance_km": {"type": ["number", "null"]},
        "home": {"type": "object"},
    },
}


def relay_paths() -> dict[str, Any]:
    """The OpenAPI description of these routes (merged by web/openapi.py)."""
    ok = {
        "description": "The group's relay policy and home.",
        "content": {"application/json": {"schema": POLICY_SCHEMA}},
    }
    unauthorized = {"$ref": "#/components/responses/Unauthorized"}
    return {
        f"{PREFIX}/relay-policy": {
            "get": {
                "summary": "The token group's relay policy",
                "tags": ["relaying"],
                "security": [{"bearerAuth": []}],
                "responses": {"200": ok, "401": unauthorized},
            },
            "put": {
                "summary": "Change the token group's relay policy (fields not sent stay)",
                "tags": ["relaying"],
                "security": [{"bearerAuth": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    k: v
                                    for k, v in POLICY_SCHEMA["properties"].items()
                                    if k in FIELDS
                                },
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {
                    "200": ok,
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": unauthorized,
                },
            },
        }
    }
