"""The OpenAPI 3.1 document of the native API, built here so it cannot drift from a file.

tests/test_api.py checks that every route under /api/aid/v1 is described, and validates real
answers against the schemas below.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from fedi_aid import __version__
from fedi_aid.aid.api_input import (
    CONTENT_WARNING_MAX,
    DESCRIPTION_MAX,
    DIRECT_TO_MAX,
    PLACE_NAME_MAX,
    REQUESTED_BY_MAX,
    SETTABLE_STATUSES,
    TITLE_MAX,
    UNIT_MAX,
)
from fedi_aid.aid.model import MAX_HOP_BUDGET, STATUSES, URGENCIES, VISIBILITIES
from fedi_aid.web.api_query import LIMIT_DEFAULT, LIMIT_MAX, LIST_STATUSES, WITHIN_MAX_KM
from fedi_aid.web.openapi_discovery import TAGS as DISCOVERY_TAGS
from fedi_aid.web.openapi_discovery import discovery_paths
from fedi_aid.web.openapi_pledges import pledge_paths
from fedi_aid.web.openapi_relay import relay_paths

PREFIX = "/api/aid/v1"

DESCRIPTION = """\
The native API of a fedi-aid instance: the needs and offers its groups publish, and those it
received from the groups it follows.

* Reading is open to anyone and shows public and unlisted items only. A group's own token also
  sees its own followers-only and direct items (list them with `group=<itself>`), and the
  `requested_by` and `direct_to` fields of its items.
* Writing needs `Authorization: Bearer <token>`, issued by `fedi-aid token create GROUP`;
  the token's group publishes, and only it may change or withdraw its items.
* Quantities are decimal strings (`"20"`, `"12.5"`) in answers so they stay exact; requests may
  send a JSON number or such a string (at most 4 decimal places, below 10^12).
* Times are ISO 8601 in UTC. `expires` takes a date (the end of that day, UTC), a date and time,
  or a duration such as `12h`, `3d`, `2w`.
* Coordinates are stored and shown rounded to about 1 km.
* Errors: `{"error": "<field>: <what is wrong>", "detail": "<reason phrase>", "field": "<field>"}`.
  Every kind of bad input (not JSON, not an object, a missing field, a wrong type, a value out
  of range, an unknown category, an expiry in the past) is **400**; 422 is never used. A body
  not sent as `application/json` is 415, a body over the size limit 413, a missing or invalid
  token 401 (with `WWW-Authenticate: Bearer`), another group's item 403, an unknown or
  invisible item 404, and a change the item's lifecycle forbids (editing or withdrawing a met,
  withdrawn or expired item) 409.
* Lists are newest first. Follow `next` (also sent as `Link: <...>; rel="next"`) for the
  following page; the cursor in it is opaque and pages stay stable while items are added.
"""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


DECIMAL_STRING = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["20", "12.5"]}
QUANTITY_IN = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]{1,4})?\s*$"},
    ],
    "description": "A number or a decimal string; at most 4 decimal places, below 10^12.",
}
DATETIME = {"type": "string", "format": "date-time"}
EXPIRES_IN = _nullable(
    {
        "type": "string",
        "description": "A date (end of that day, UTC), a date and time, or a duration "
        "(`30m`, `12h`, `3d`, `2w`). Must be in the future.",
        "examples": ["2026-12-01", "2026-12-01T18:00:00Z", "3d"],
    }
)
PLACE_OUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "latitude", "longitude", "radius_km"],
    "properties": {
        "name": _nullable({"type": "string"}),
        "latitude": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
        "longitude": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
        "radius_km": _nullable({"type": "number", "minimum": 0}),
    },
}
PLACE_IN = {
    "type": "object",
    "additionalProperties": False,
    "description": "A named area and/or a point (rounded to about 1 km when stored). "
    "latitude and longitude go together. In PATCH only the given keys change; null "
    "latitude and longitude remove the point.",
    "properties": {
        "name": {"type": "string", "maxLength": PLACE_NAME_MAX},
        "latitude": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
        "longitude": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
        "radius_km": _nullable({"type": "number", "minimum": 0, "exclusiveMaximum": 50000}),
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {
                "type": "string",
                "description": "What is wrong, starting with the field it concerns.",
                "examples": ["quantity: must not be negative, got -3"],
            },
            "detail": {"type": "string", "description": "The HTTP reason phrase."},
            "field": {
                "type": "string",
                "description": "The offending field or parameter, when there is one "
                "(`place.latitude`, `direct_to[0]`, `cursor`, `body`, `Content-Type`).",
            },
        },
    },
    "Category": {
        "type": "object",
        "additionalProperties": False,
        "required": ["uri", "label_en", "label_hi"],
        "properties": {
            "uri": {"type": "string", "format": "uri"},
            "label_en": _nullable({"type": "string"}),
            "label_hi": _nullable({"type": "string"}),
        },
    },
    "CategoryEntry": {
        "type": "object",
        "additionalProperties": False,
        "required": ["slug", "uri", "parent", "label_en", "label_hi", "hashtag", "sensitive"],
        "properties": {
            "slug": {"type": "string", "examples": ["medicine/insulin"]},
            "uri": {"type": "string", "format": "uri"},
            "parent": _nullable({"type": "string", "format": "uri"}),
            "label_en": {"type": "string"},
            "label_hi": {"type": "string"},
            "hashtag": {"type": "string"},
            "sensitive": {
                "type": "boolean",
                "description": "Medical or legal: consider followers-only or direct.",
            },
        },
    },
    "CategoryList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["categories"],
        "properties": {"categories": {"type": "array", "items": _ref("CategoryEntry")}},
    },
    "Group": {
        "type": "object",
        "additionalProperties": False,
        "required": ["uri", "handle", "name"],
        "properties": {
            "uri": {"type": "string", "format": "uri"},
            "handle": _nullable({"type": "string", "examples": ["riverside@aid.example"]}),
            "name": _nullable({"type": "string"}),
        },
    },
    "Place": PLACE_OUT,
    "Item": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "uri",
            "url",
            "kind",
            "title",
            "description",
            "category",
            "quantity",
            "remaining",
            "unit",
            "urgency",
            "status",
            "place",
            "expires_at",
            "published",
            "updated",
            "visibility",
            "content_warning",
            "hop_budget",
            "group",
            "local",
        ],
        "properties": {
            "id": {"type": "integer", "description": "This instance's id; use it in the URLs."},
            "uri": {"type": "string", "format": "uri", "description": "The ActivityPub id."},
            "url": {"type": "string", "format": "uri"},
            "kind": {"enum": ["need", "offer"]},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "category": _ref("Category"),
            "quantity": DECIMAL_STRING,
            "remaining": {
                **DECIMAL_STRING,
                "description": "Still needed (need) or still available (offer).",
            },
            "unit": {"type": "string"},
            "urgency": {"enum": list(URGENCIES)},
            "status": {"enum": list(STATUSES)},
            "place": _nullable(_ref("Place")),
            "expires_at": _nullable(DATETIME),
            "published": DATETIME,
            "updated": DATETIME,
            "visibility": {"enum": list(VISIBILITIES)},
            "content_warning": _nullable({"type": "string"}),
            "hop_budget": {"type": "integer", "minimum": 0, "maximum": MAX_HOP_BUDGET},
            "group": _ref("Group"),
            "local": {"type": "boolean", "description": "Published on this instance."},
            "direct_to": {
                "type": "array",
                "items": {"type": "string", "format": "uri"},
                "description": "Only for the publishing group's token.",
            },
            "requested_by": {
                **_nullable({"type": "string"}),
                "description": "Who in the community asked. Local only, never federated; "
                "only for the publishing group's token.",
            },
        },
    },
    "ItemList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref("Item")},
            "next": _nullable({"type": "string", "format": "uri"}),
        },
    },
    "ItemCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "category", "quantity", "unit"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
            "category": {
                "type": "string",
                "description": "A slug (`medicine/insulin`), a short name (`insulin`), a "
                "category URI, or a Wikidata item URI. See /api/aid/v1/categories.",
            },
            "quantity": QUANTITY_IN,
            "unit": {"type": "string", "minLength": 1, "maxLength": UNIT_MAX},
            "description": _nullable({"type": "string", "maxLength": DESCRIPTION_MAX}),
            "urgency": {"enum": list(URGENCIES), "default": "normal"},
            "place": _nullable(PLACE_IN),
            "expires": EXPIRES_IN,
            "expires_at": {**EXPIRES_IN, "description": "Another name for `expires`."},
            "visibility": {
                "enum": [*VISIBILITIES, "followers-only"],
                "default": "public",
                "description": "followers-only is another name for followers.",
            },
            "direct_to": {
                "type": "array",
                "maxItems": DIRECT_TO_MAX,
                "items": {"type": "string"},
                "description": "Handles (`name@host`) or actor URIs; required for, and only "
                "for, visibility direct.",
            },
            "hop_budget": {"type": "integer", "minimum": 0, "maximum": MAX_HOP_BUDGET},
            "content_warning": _nullable({"type": "string", "maxLength": CONTENT_WARNING_MAX}),
            "requested_by": {
                **_nullable({"type": "string", "maxLength": REQUESTED_BY_MAX}),
                "description": "Who asked. Kept on this instance, never federated, shown only "
                "to the group's own token.",
            },
        },
    },
    "ItemUpdate": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "Any of these; the rest stay. Changing quantity keeps what was already "
        "met; changing remaining moves the status between open, partly_met and met. "
        "visibility, direct_to, hop_budget and requested_by cannot change after posting.",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
            "description": _nullable({"type": "string", "maxLength": DESCRIPTION_MAX}),
            "category": {"type": "string"},
            "quantity": QUANTITY_IN,
            "remaining": QUANTITY_IN,
            "unit": {"type": "string", "minLength": 1, "maxLength": UNIT_MAX},
            "urgency": {"enum": list(URGENCIES)},
            "place": PLACE_IN,
            "expires": EXPIRES_IN,
            "expires_at": EXPIRES_IN,
            "content_warning": _nullable({"type": "string", "maxLength": CONTENT_WARNING_MAX}),
            "status": {
                "enum": list(SETTABLE_STATUSES),
                "description": "met or withdrawn; the other statuses follow from remaining "
                "and expires_at.",
            },
        },
    },
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSES: dict[str, Any] = {
    "BadRequest": _error("Bad input; `error` and `field` name the field."),
    "Unauthorized": _error(
        "No bearer token, or an unknown or revoked one.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    ),
    "Forbidden": _error("The item belongs to another group."),
    "NotFound": _error("No such item, or not visible to this caller."),
    "Conflict": _error("The item is met, withdrawn or expired and can no longer change."),
    "PayloadTooLarge": _error("The body is larger than the instance accepts."),
    "UnsupportedMediaType": _error("The body was not sent as application/json."),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


LIST_PARAMETERS = [
    _query(
        "category",
        "A slug, short name or URI; sub-categories are included (`medicine` lists insulin).",
        {"type": "string"},
    ),
    _query(
        "status",
        "Default: open and partly_met. `all` for every status.",
        {"enum": list(LIST_STATUSES)},
    ),
    _query("near", "`latitude,longitude`; needs within_km.", {"type": "string"}),
    _query(
        "within_km",
        "Distance from `near` in km; needs near. Items without a point are left out.",
        {"type": "number", "exclusiveMinimum": 0, "maximum": WITHIN_MAX_KM},
    ),
    _query("origin", "local: published here; remote: received.", {"enum": ["local", "remote"]}),
    _query(
        "group",
        "A handle (`name@host`, or a local name) or an actor URI. An unknown group lists nothing.",
        {"type": "string"},
    ),
    _query(
        "limit",
        f"Items per page, 1 to {LIMIT_MAX}.",
        {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
    ),
    _query("cursor", "Opaque; take it from `next`.", {"type": "string"}),
]

ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
SECURED = [{"bearerAuth": []}]
OPTIONAL_AUTH = [{}, {"bearerAuth": []}]


def _kind_paths(plural: str, kind: str) -> dict[str, Any]:
    title = kind.capitalize()
    base = f"{PREFIX}/{plural}"
    item = _json(_ref("Item"), f"The {kind}.")
    return {
        base: {
            "get": {
                "operationId": f"list{title}s",
                "summary": f"List {plural}, newest first",
                "tags": [plural],
                "security": OPTIONAL_AUTH,
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": {
                        **_json(_ref("ItemList"), f"A page of {plural}."),
                        "headers": {
                            "Link": {
                                "schema": {"type": "string"},
                                "description": 'The next page: `<url>; rel="next"`.',
                            }
                        },
                    },
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                },
            },
            "post": {
                "operationId": f"create{title}",
                "summary": f"Publish a {kind} as the token's group",
                "tags": [plural],
                "security": SECURED,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ItemCreate")}},
                },
                "responses": {
                    "201": {
                        **item,
                        "headers": {
                            "Location": {
                                "schema": {"type": "string", "format": "uri"},
                                "description": f"The new {kind} in this API.",
                            }
                        },
                    },
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                    "413": _r("PayloadTooLarge"),
                    "415": _r("UnsupportedMediaType"),
                },
            },
        },
        f"{base}/{{id}}": {
            "parameters": [ID_PARAMETER],
            "get": {
                "operationId": f"show{title}",
                "summary": f"One {kind}",
                "tags": [plural],
                "security": OPTIONAL_AUTH,
                "responses": {"200": item, "401": _r("Unauthorized"), "404": _r("NotFound")},
            },
            "patch": {
                "operationId": f"update{title}",
                "summary": f"Change a {kind} of the token's group",
                "tags": [plural],
                "security": SECURED,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ItemUpdate")}},
                },
                "responses": {
                    "200": item,
                    "400": _r("BadRequest"),
                    "401": _r("Unauthorized"),
                    "403": _r("Forbidden"),
                    "404": _r("NotFound"),
                    "409": _r("Conflict"),
                    "413": _r("PayloadTooLarge"),
                    "415": _r("UnsupportedMediaType"),
                },
            },
        },
        f"{base}/{{id}}/withdraw": {
            "parameters": [ID_PARAMETER],
            "post": {
                "operationId": f"withdraw{title}",
                "summary": f"Withdraw a {kind}: it is deleted across the federation",
                "tags": [plural],
                "security": SECURED,
                "responses": {
                    "200": item,
                    "401": _r("Unauthorized"),
                    "403": _r("Forbidden"),
                    "404": _r("NotFound"),
                    "409": _r("Conflict"),
                },
            },
        },
    }


@functools.lru_cache(maxsize=8)
def _build(base_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        f"{PREFIX}/categories": {
            "get": {
                "operationId": "listCategories",
                "summary": "The category vocabulary, with English and Hindi labels",
                "tags": ["categories"],
                "security": [{}],
                "responses": {"200": _json(_ref("CategoryList"), "Every built-in category.")},
            }
        },
        f"{PREFIX}/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "tags": ["meta"],
                "security": [{}],
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            }
        },
    }
    paths.update(_kind_paths("needs", "need"))
    paths.update(_kind_paths("offers", "offer"))
    paths.update(pledge_paths())  # web/api_pledges.py
    paths.update(discovery_paths())  # web/api_discovery.py
    paths.update(relay_paths())  # web/api_relay.py
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fedi-aid native API",
            "version": f"1 (fedi-aid {__version__})",
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": base_url.rstrip("/")}],
        "tags": [
            {"name": "needs", "description": "What groups ask for."},
            {"name": "offers", "description": "What groups can give."},
            {"name": "categories"},
            {"name": "meta"},
            *DISCOVERY_TAGS,
        ],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `fedi-aid token create GROUP`; acts as that "
                    "group.",
                }
            },
        },
    }


def build_openapi(base_url: str) -> dict[str, Any]:
    """The document for an instance at `base_url` (a fresh copy the caller may change)."""
    return copy.deepcopy(_build(base_url))
