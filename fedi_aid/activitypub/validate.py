"""Validate ActivityStreams documents against the JSON Schemas in `schemas/`. Pure: the schema
files are read once, on first use, and nothing else touches the outside world.

Schemas are JSON Schema 2020-12 files named `<name>.json` whose `$id` is
`https://fedi-aid.org/schemas/<name>.json`; they `$ref` each other by that id (relative refs
such as `activity.json#/$defs/httpUri` resolve against it). Validators are built once per
schema, with format checking on (`uri`, `date-time`).

Inbound activities are validated *after* `normalize()`: pass the normalised document to
`validate_incoming`. Errors name the offending field by its path, e.g.
`object.id: 'not a url' is not a 'uri'` or `actor: required property missing`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# Shipped inside the package (the top-level schemas/ is a link to it).
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
SCHEMA_BASE_URI = "https://fedi-aid.org/schemas/"

# The schema each inbound activity type is checked against; any other type only against the
# base `activity` schema (the inbox then ignores it).
INCOMING_SCHEMAS: dict[str, str] = {
    "Follow": "follow",
    "Accept": "accept",
    "Reject": "reject",
    "Undo": "undo",
    "Create": "create",
    "Update": "update",
    "Delete": "delete",
    "Announce": "announce",
    "Like": "like",
    "Dislike": "like",
    "EmojiReact": "like",
    "Flag": "flag",
    "Block": "block",
    "Move": "move",
    "Add": "add",
    "Remove": "remove",
}

_HTTP_PATTERN = "^https?://"
_MESSAGE_LIMIT = 240


class ValidationError(Exception):
    """A document does not match its schema.

    `str(error)` is `"<path>: <problem>"`; `path` is the JSON path of the offending field
    (`"object.tag[1].href"`, `"(root)"` for the document itself), `problem` what is wrong,
    and `schema` the name of the schema that rejected it.
    """

    def __init__(self, path: str, problem: str, schema: str = "") -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.schema = schema


def validate(doc: Any, schema_name: str) -> None:
    """Raise ValidationError unless `doc` matches `schemas/<schema_name>.json`.

    Raises KeyError for a schema name that does not exist (a programming error).
    """
    validator = _validator(schema_name)
    error = best_match(validator.iter_errors(doc))
    if error is not None:
        path, problem = _describe(error)
        raise ValidationError(path, problem, schema_name)


def validate_incoming(doc: dict[str, Any]) -> None:
    """Validate a normalised inbound activity against the schema for its `type`.

    Types without a schema of their own are checked against the base `activity` schema only.
    """
    if not isinstance(doc, dict):
        raise ValidationError("(root)", "an activity must be a JSON object", "activity")
    kind = doc.get("type")
    validate(doc, INCOMING_SCHEMAS.get(kind, "activity") if isinstance(kind, str) else "activity")


def schema_for(activity_type: str) -> str:
    """The name of the schema `validate_incoming` uses for this activity type."""
    return INCOMING_SCHEMAS.get(activity_type, "activity")


def schema_names() -> list[str]:
    """The names of all schemas found in `schemas/`."""
    return sorted(_load().contents)


# -- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schemas:
    contents: dict[str, Any]
    problems: dict[str, str]
    registry: Registry


_lock = threading.Lock()
_schemas: _Schemas | None = None
_validators: dict[str, Draft202012Validator] = {}


def _load() -> _Schemas:
    global _schemas
    if _schemas is None:
        with _lock:
            if _schemas is None:
                _schemas = _read_schema_dir(SCHEMA_DIR)
    return _schemas


def _read_schema_dir(folder: Path) -> _Schemas:
    """Read every schema once. A broken file is remembered, not fatal to the others."""
    contents: dict[str, Any] = {}
    problems: dict[str, str] = {}
    resources = []
    for path in sorted(folder.glob("*.json")):
        name = path.stem
        expected_id = f"{SCHEMA_BASE_URI}{path.name}"
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems[name] = f"cannot read {path}: {exc}"
            continue
        if not isinstance(schema, dict) or schema.get("$id") != expected_id:
            problems[name] = f"{path} must be a JSON object with $id {expected_id!r}"
            continue
        contents[name] = schema
        resources.append(
            (expected_id, Resource.from_contents(schema, default_specification=DRAFT202012))
        )
    return _Schemas(contents, problems, Registry().with_resources(resources))


def _validator(name: str) -> Draft202012Validator:
    validator = _validators.get(name)
    if validator is not None:
        return validator
    schemas = _load()
    if name in schemas.problems:
        raise RuntimeError(schemas.problems[name])
    if name not in schemas.contents:
        raise KeyError(f"no schema named {name!r} in {SCHEMA_DIR}")
    schema = schemas.contents[name]
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(
        schema,
        registry=schemas.registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    with _lock:
        _validators[name] = validator
    return validator


# -- error messages --------------------------------------------------------------------------


def _describe(error: SchemaError) -> tuple[str, str]:
    """(path, problem) for the most relevant error, phrased for a remote admin to act on."""
    location: list[str | int] = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [key for key in error.validator_value if key not in error.instance]
        if missing:
            return _format_path([*location, missing[0]]), "required property missing"
    if error.validator == "pattern" and error.validator_value == _HTTP_PATTERN:
        problem = f"{_short_repr(error.instance)} is not an http(s) URL"
    elif error.validator in ("anyOf", "oneOf"):
        problem = f"{_short_repr(error.instance)} is not {_alternatives(error)}"
    else:
        problem = error.message
    if len(problem) > _MESSAGE_LIMIT:
        problem = problem[: _MESSAGE_LIMIT - 1] + "…"
    return _format_path(location), problem


def _alternatives(error: SchemaError) -> str:
    """'a string or an object' when every branch failed on its type, else a generic phrase."""
    kinds: list[str] = []
    for sub in error.context or ():
        if sub.validator != "type" or sub.relative_path:
            return "valid under any of the accepted forms"
        expected = sub.validator_value
        for kind in expected if isinstance(expected, list) else [expected]:
            if kind not in kinds:
                kinds.append(kind)
    if not kinds:
        return "valid under any of the accepted forms"
    named = [f"an {kind}" if kind[0] in "aeiou" else f"a {kind}" for kind in kinds]
    return " or ".join(named)


def _format_path(location: list[str | int]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(root)"


def _short_repr(value: Any, limit: int = 80) -> str:
    if isinstance(value, dict):
        return "an object" if not value else "{...}"
    if isinstance(value, list):
        return "an array" if not value else "[...]"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]
