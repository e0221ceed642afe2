"""The OpenAPI paths of web/api_pledges.py (pledges, matches, gaps, notifications).

Schemas are inline so that web/openapi.py only merges these paths; responses for errors reuse
its shared `#/components/responses/...`.
"""

from __future__ import annotations

from typing import Any

from fedi_aid.aid.pledges import STATES, VERBS
from fedi_aid.web.api_query import LIMIT_DEFAULT, LIMIT_MAX, WITHIN_MAX_KM

PREFIX = "/api/aid/v1"
SECURED = [{"bearerAuth": []}]
ANYONE = [{}, {"bearerAuth": []}]
DECIMAL = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
NULLABLE_DECIMAL = {"anyOf": [DECIMAL, {"type": "null"}]}
TEXT_OR_NULL = {"type": ["string", "null"]}

PLEDGE = {
    "type": "object",
    "required": ["id", "uri", "item_id", "direction", "source", "kind", "state", "quantity"],
    "properties": {
        "id": {"type": "integer"},
        "uri": {"type": "string"},
        "item_id": {"type": "integer"},
        "item_uri": {"type": "string"},
        "item_title": {"type": "string"},
        "direction": {"enum": ["in", "out"], "description": "in: to our item; out: our Offer."},
        "source": {"enum": ["reply", "offer", "local"]},
        "kind": {"enum": ["pledge", "comment"]},
        "state": {"enum": list(STATES)},
        "pledger": {"type": "string"},
        "quantity": NULLABLE_DECIMAL,
        "unit": TEXT_OR_NULL,
        "over_pledged": {
            **NULLABLE_DECIMAL,
            "description": "How much more than was still needed at confirmation.",
        },
        "text": {"type": "string"},
        "agreement": TEXT_OR_NULL,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
MATCH = {
    "type": "object",
    "required": ["id", "uri", "kind", "score"],
    "properties": {
        "id": {"type": "integer"},
        "uri": {"type": "string"},
        "kind": {"enum": ["need", "offer"]},
        "title": {"type": "string"},
        "group": {"type": "string"},
        "category": {"type": "string"},
        "remaining": DECIMAL,
        "unit": {"type": "string"},
        "urgency": {"type": "string"},
        "place": TEXT_OR_NULL,
        "distance_km": {"type": ["number", "null"]},
        "coverage": {"type": "number"},
        "score": {
            "type": "number",
            "description": "0.4 urgency + 0.3 proximity + 0.3 coverage (aid/matching.py).",
        },
        "expires_at": TEXT_OR_NULL,
    },
}
GAP = {
    "type": "object",
    "required": ["group", "category", "missing", "unit", "urgency"],
    "properties": {
        "group": {"type": "string"},
        "group_name": {"type": "string"},
        "place": TEXT_OR_NULL,
        "distance_km": {"type": ["number", "null"]},
        "category": {"type": "string"},
        "category_label": {"type": "string"},
        "missing": {**DECIMAL, "description": "Still needed (gaps) or available (abundance)."},
        "unit": {"type": "string"},
        "urgency": {"type": "string"},
        "since": TEXT_OR_NULL,
        "covered": DECIMAL,
        "pledged": DECIMAL,
        "items": {"type": "integer"},
        "uris": {"type": "array", "items": {"type": "string"}},
    },
}
NOTIFICATION = {
    "type": "object",
    "required": ["id", "kind", "subject", "text", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "examples": ["pledge", "comment", "match"]},
        "subject": {"type": "string"},
        "text": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "read_at": TEXT_OR_NULL,
    },
}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _list(schema: dict[str, Any], description: str) -> dict[str, Any]:
    body = {"type": "object", "properties": {"items": {"type": "array", "items": schema}}}
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _q(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
AREA = [
    _q("near", "`latitude,longitude`; needs within_km.", {"type": "string"}),
    _q(
        "within_km",
        "Distance from `near` in km.",
        {"type": "number", "exclusiveMinimum": 0, "maximum": WITHIN_MAX_KM},
    ),
    _q("category", "A category; sub-categories are included.", {"type": "string"}),
    _q("format", "json (default) or csv (with an HXL hashtag row).", {"enum": ["json", "csv"]}),
]


def _area(kind: str) -> dict[str, Any]:
    what = "open needs (what is missing)" if kind == "need" else "open offers (abundance)"
    ok = _list(GAP, f"One line per group, category and unit: {what}.")
    ok["content"]["text/csv"] = {"schema": {"type": "string"}}
    return {
        "get": {
            "operationId": "listGaps" if kind == "need" else "listAbundance",
            "summary": f"Aggregate {what} near a point",
            "tags": ["gaps"],
            "security": ANYONE,
            "parameters": AREA,
            "responses": {"200": ok, "400": _r("BadRequest")},
        }
    }


def pledge_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        f"{PREFIX}/pledges": {
            "get": {
                "operationId": "listPledges",
                "summary": "The token group's pledges and comments, newest first",
                "tags": ["pledges"],
                "security": SECURED,
                "parameters": [
                    _q("state", "Only this state.", {"enum": list(STATES)}),
                    _q("item", "Only pledges for this need or offer id.", {"type": "integer"}),
                ],
                "responses": {
                    "200": _list(PLEDGE, "Pledges."),
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                },
            }
        },
        f"{PREFIX}/pledges/{{id}}/{{verb}}": {
            "parameters": [
                ID,
                {"name": "verb", "in": "path", "required": True, "schema": {"enum": list(VERBS)}},
            ],
            "post": {
                "operationId": "changePledge",
                "summary": "Confirm, deliver, decline or cancel a pledge to one of the group's "
                "items (the need is updated everywhere; the pledger is answered)",
                "tags": ["pledges"],
                "security": SECURED,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"reason": {"type": "string", "maxLength": 500}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The pledge.",
                        "content": {"application/json": {"schema": PLEDGE}},
                    },
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                    "404": _r("NotFound"),
                    "409": _r("Conflict"),
                },
            },
        },
        f"{PREFIX}/notifications": {
            "get": {
                "operationId": "listNotifications",
                "summary": "What the token group's admins were told (pledges, matching offers)",
                "tags": ["pledges"],
                "security": SECURED,
                "parameters": [_q("unread", "Only unread ones.", {"enum": ["true", "false"]})],
                "responses": {
                    "200": _list(NOTIFICATION, "Notifications."),
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                },
            }
        },
        f"{PREFIX}/gaps": _area("need"),
        f"{PREFIX}/abundance": _area("offer"),
    }
    for plural, kind in (("needs", "need"), ("offers", "offer")):
        other = "offers" if kind == "need" else "needs"
        paths[f"{PREFIX}/{plural}/{{id}}/pledges"] = {
            "parameters": [ID],
            "post": {
                "operationId": f"pledgeTo{kind.capitalize()}",
                "summary": f"Pledge to a {kind}: your own (record a pledge someone made, "
                "`pledger` required) or another instance's (sends a FEP-0837 Offer)",
                "tags": ["pledges"],
                "security": SECURED,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["quantity"],
                                "properties": {
                                    "quantity": {"type": ["number", "string"]},
                                    "pledger": {"type": "string", "maxLength": 300},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "The pledge (state proposed).",
                        "content": {"application/json": {"schema": PLEDGE}},
                    },
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                    "404": _r("NotFound"),
                    "409": _r("Conflict"),
                    "415": _r("UnsupportedMediaType"),
                },
            },
        }
        paths[f"{PREFIX}/{plural}/{{id}}/matches"] = {
            "parameters": [ID],
            "get": {
                "operationId": f"match{kind.capitalize()}",
                "summary": f"The {other} that fit this {kind}, best first",
                "tags": ["pledges"],
                "security": ANYONE,
                "parameters": [
                    _q(
                        "within_km",
                        "Distance limit; default: the sum of both radii.",
                        {"type": "number", "exclusiveMinimum": 0, "maximum": WITHIN_MAX_KM},
                    ),
                    _q(
                        "limit",
                        f"1 to {LIMIT_MAX}.",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": LIMIT_MAX,
                            "default": LIMIT_DEFAULT,
                        },
                    ),
                ],
                "responses": {
                    "200": _list(MATCH, "Matches."),
                    "400": _r("BadRequest"),
                    "404": _r("NotFound"),
                },
            },
        }
    return paths
