"""The OpenAPI description of /api/aid/v1/discover and /api/aid/v1/intake (merged by openapi.py)."""

from __future__ import annotations

from typing import Any

PREFIX = "/api/aid/v1"
SECURED = [{"bearerAuth": []}]
TAGS = [
    {"name": "discovery", "description": "Groups near a point, found by walking follows."},
    {"name": "intake", "description": "Asks that reached the token's group by mention."},
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


NULLABLE_INT = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}
FOUND_GROUP = {
    "type": "object",
    "required": ["handle", "uri", "distance_km", "hops", "open_needs", "open_offers"],
    "properties": {
        "handle": {"type": ["string", "null"], "examples": ["riverside@aid.example"]},
        "uri": {"type": "string", "format": "uri"},
        "name": {"type": "string"},
        "url": {"type": ["string", "null"]},
        "place": {"type": ["string", "null"]},
        "latitude": {"type": "number"},
        "longitude": {"type": "number"},
        "distance_km": {"type": "number", "minimum": 0},
        "hops": {"type": "integer", "minimum": 0, "description": "Follows from the seeds."},
        "categories": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"uri": {"type": "string"}, "label": {"type": "string"}},
            },
        },
        "open_needs": NULLABLE_INT,
        "open_offers": NULLABLE_INT,
        "followed_by": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Local groups that already follow it (or asked to).",
        },
    },
}
DISCOVERY = {
    "type": "object",
    "required": ["near", "radius_km", "depth", "groups", "stats"],
    "properties": {
        "near": {"type": "object"},
        "radius_km": {"type": "number"},
        "depth": {"type": "integer"},
        "groups": {"type": "array", "items": FOUND_GROUP, "description": "Nearest first."},
        "stats": {
            "type": "object",
            "properties": {
                "requests": {"type": "integer"},
                "max_requests": {"type": "integer"},
                "cached": {"type": "integer"},
                "groups_seen": {"type": "integer"},
                "budget_exhausted": {"type": "boolean"},
                "unresolved_seeds": {"type": "array", "items": {"type": "string"}},
                "seconds": {"type": "number"},
            },
        },
    },
}
INTAKE = {
    "type": "object",
    "required": ["id", "state", "asker", "text", "suggested"],
    "properties": {
        "id": {"type": "integer"},
        "group": {"type": "string"},
        "state": {"enum": ["pending", "converted", "dismissed"]},
        "asker": {"type": "string", "description": "Local only; never published unless agreed."},
        "asker_uri": {"type": "string"},
        "note": {"type": "string", "description": "The post that asked."},
        "text": {"type": "string"},
        "hashtags": {"type": "array", "items": {"type": "string"}},
        "suggested": {
            "type": "object",
            "properties": {
                "kind": {"enum": ["need", "offer"]},
                "title": {"type": "string"},
                "category": {"type": ["string", "null"]},
            },
        },
        "received_at": {"type": "string", "format": "date-time"},
        "decided_at": {"type": ["string", "null"]},
        "item": {"type": ["string", "null"], "description": "The published need, once converted."},
        "reply": {"type": ["string", "null"], "description": "The reply sent to the asker."},
    },
}
CONVERT = {
    "type": "object",
    "required": ["quantity"],
    "properties": {
        "quantity": {"anyOf": [{"type": "number"}, {"type": "string"}]},
        "unit": {"type": "string", "default": "one"},
        "category": {"type": "string", "description": "Default: guessed from the hashtags."},
        "kind": {"enum": ["need", "offer"]},
        "title": {"type": "string", "description": "Default: the first line of the ask."},
        "description": {"type": "string"},
        "urgency": {"enum": ["low", "normal", "high", "critical"]},
        "place": {"type": "object"},
        "expires": {"type": "string"},
        "asker_agreed": {
            "type": "boolean",
            "default": False,
            "description": "The asker agreed to be named in the published need.",
        },
        "reply": {"type": "boolean", "default": True, "description": "Answer the asker."},
    },
}
DISMISS = {
    "type": "object",
    "properties": {
        "reply": {"type": ["string", "null"], "description": "Answer with this; null: silent."},
        "block": {"type": "boolean", "default": False},
    },
}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
ERRORS = {"400": _r("BadRequest"), "401": _r("Unauthorized"), "404": _r("NotFound")}


def discovery_paths() -> dict[str, Any]:
    return {
        f"{PREFIX}/discover": {
            "get": {
                "operationId": "discoverGroups",
                "summary": "Groups within radius_km of near, found by a bounded walk of follows",
                "tags": ["discovery"],
                "security": SECURED,
                "parameters": [
                    _query("near", "`latitude,longitude`.", {"type": "string"}, True),
                    _query("radius_km", "How far from near.", {"type": "number"}, True),
                    _query("depth", "Follow hops to walk (0-6).", {"type": "integer"}),
                    _query("seed", "Start from this handle (repeat).", {"type": "string"}),
                    _query("max_requests", "Request budget (1-300).", {"type": "integer"}),
                ],
                "responses": {
                    "200": _json(DISCOVERY, "The groups found, nearest first."),
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                },
            }
        },
        f"{PREFIX}/intake": {
            "get": {
                "operationId": "listIntake",
                "summary": "The token's group's intake queue, oldest first",
                "tags": ["intake"],
                "security": SECURED,
                "parameters": [
                    _query(
                        "state",
                        "Default: pending.",
                        {"enum": ["pending", "converted", "dismissed", "all"]},
                    )
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": INTAKE}},
                        },
                        "The asks.",
                    ),
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                },
            }
        },
        f"{PREFIX}/intake/{{id}}/convert": {
            "post": {
                "operationId": "convertIntake",
                "summary": "Publish the ask as a need and reply to the asker with its link",
                "tags": ["intake"],
                "security": SECURED,
                "parameters": [ID],
                "requestBody": {"content": {"application/json": {"schema": CONVERT}}},
                "responses": {"200": _json(INTAKE, "Converted."), **ERRORS, "409": _r("Conflict")},
            }
        },
        f"{PREFIX}/intake/{{id}}/dismiss": {
            "post": {
                "operationId": "dismissIntake",
                "summary": "Close the ask, replying politely or not at all",
                "tags": ["intake"],
                "security": SECURED,
                "parameters": [ID],
                "requestBody": {"content": {"application/json": {"schema": DISMISS}}},
                "responses": {"200": _json(INTAKE, "Dismissed."), **ERRORS, "409": _r("Conflict")},
            }
        },
    }
