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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
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
    if _fast_check(schema_name)(doc):
        return
    # Invalid (or the fast path could not tell): the full validator finds the error to report.
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


# -- fast path -------------------------------------------------------------------------------
# jsonschema walks a schema through `$ref` lookups and validator copies on every call (~0.4 ms
# for a Create(Note)). Each schema is compiled once into nested closures that only answer
# "valid or not", for the keywords our schemas use, with jsonschema's own type and format
# checkers. A False (or a schema using any other keyword) falls back to jsonschema, so error
# messages come from jsonschema alone; the one thing the fast path must never do is accept a
# document jsonschema rejects (tests/test_inbox_fast_path.py compares both on many documents).

_Check = Callable[[Any], bool]

# Keywords that never fail a document (annotations and containers of other schemas).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)
_FAST_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}
_FORMAT_CACHE_SIZE = 4096  # per format: strings seen often (actors, collections) hit
# Plain http(s) URLs, the ids of nearly every activity: a subset of RFC 3986's URI grammar
# (reg-name host, digits port, path/query/fragment of unreserved, sub-delims, ":" and "@"),
# so a match is a URI for the full checker too. Anything else goes to the full checker.
_PCHARS = r"[A-Za-z0-9._~!$&'()*+,;=:@/-]"
_PLAIN_HTTP_URL = re.compile(
    rf"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/{_PCHARS}*)?(?:\?[?{_PCHARS[1:-1]}]*)?"
    rf"(?:#[?{_PCHARS[1:-1]}]*)?"
)

_fast_checks: dict[str, _Check] = {}


class _NotCompilable(Exception):
    """The schema uses something the fast path does not implement."""


def _fast_check(name: str) -> _Check:
    check = _fast_checks.get(name)
    if check is None:
        schemas = _load()
        try:
            compiled = _Compiler().compile(
                schemas.contents[name],
                schemas.registry.resolver(base_uri=f"{SCHEMA_BASE_URI}{name}.json"),
            )
        except (_NotCompilable, Unresolvable):
            compiled = _never
        check = _guarded(compiled)
        with _lock:
            _fast_checks[name] = check
    return check


def _never(_value: Any) -> bool:
    return False


def _guarded(check: _Check) -> _Check:
    def guarded(value: Any) -> bool:
        try:
            return check(value)
        except Exception:  # noqa: BLE001 - anything odd: let jsonschema decide
            return False

    return guarded


def _is_type(kind: str) -> Callable[[Any], bool]:
    fast = _FAST_TYPES.get(kind)
    if fast is not None:
        return fast
    checker = Draft202012Validator.TYPE_CHECKER
    return lambda value: checker.is_type(value, kind)


def _format_check(fmt: str) -> _Check:
    conforms = Draft202012Validator.FORMAT_CHECKER.conforms
    plain = _PLAIN_HTTP_URL.fullmatch if fmt == "uri" else None
    results: dict[str, bool] = {}

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return conforms(value, fmt)
        result = results.get(value)
        if result is None:
            if plain is not None and plain(value):
                return True  # not remembered: mostly ids, each seen once
            result = conforms(value, fmt)
            if len(results) >= _FORMAT_CACHE_SIZE:
                results.clear()
            results[value] = result
        return result

    return check


class _Compiler:
    """JSON Schema 2020-12 subset -> a predicate. One instance per top-level schema."""

    def __init__(self) -> None:
        # Compiled subschemas by identity: shared ones are compiled once, and recursive
        # references terminate (they call through the cell until it is filled).
        self._done: dict[int, list[Any]] = {}

    def compile(self, schema: Any, resolver: Any) -> _Check:
        if schema is True:
            return lambda _value: True
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _NotCompilable("schema is not an object")
        cell = self._done.get(id(schema))
        if cell is not None:
            return cell[0] if cell[1] else lambda value: cell[0](value)
        cell = [_never, False]  # [check, finished]
        self._done[id(schema)] = cell
        if "$id" in schema:
            resolver = resolver.in_subresource(
                Resource.from_contents(schema, default_specification=DRAFT202012)
            )
        checks = [
            self._keyword(key, value, schema, resolver)
            for key, value in schema.items()
            if key not in _ANNOTATIONS and key not in ("then", "else")
        ]
        cell[0], cell[1] = _all_of(checks), True
        return cell[0]

    def _keyword(self, key: str, value: Any, schema: dict[str, Any], resolver: Any) -> _Check:
        method = getattr(self, "_k_" + key.lstrip("$").replace("-", "_"), None)
        if method is None:
            raise _NotCompilable(f"keyword {key!r}")
        return method(value, schema, resolver)

    def _k_ref(self, ref: str, _schema: Any, resolver: Any) -> _Check:
        resolved = resolver.lookup(ref)
        return self.compile(resolved.contents, resolved.resolver)

    def _k_allOf(self, subs: list[Any], _schema: Any, resolver: Any) -> _Check:
        return _all_of([self.compile(sub, resolver) for sub in subs])

    def _k_anyOf(self, subs: list[Any], _schema: Any, resolver: Any) -> _Check:
        return _any_of([self.compile(sub, resolver) for sub in subs])

    def _k_if(self, sub: Any, schema: dict[str, Any], resolver: Any) -> _Check:
        condition = self.compile(sub, resolver)
        then = self.compile(schema.get("then", True), resolver)
        otherwise = self.compile(schema.get("else", True), resolver)
        return lambda value: then(value) if condition(value) else otherwise(value)

    def _k_type(self, kinds: str | list[str], _schema: Any, _resolver: Any) -> _Check:
        return _any_of([_is_type(kind) for kind in (kinds if isinstance(kinds, list) else [kinds])])

    def _k_required(self, names: list[str], _schema: Any, _resolver: Any) -> _Check:
        return lambda value: not isinstance(value, dict) or all(name in value for name in names)

    def _k_properties(self, props: dict[str, Any], _schema: Any, resolver: Any) -> _Check:
        checks = [(name, self.compile(sub, resolver)) for name, sub in props.items()]

        def properties(value: Any) -> bool:
            if isinstance(value, dict):
                for name, check in checks:
                    if name in value and not check(value[name]):
                        return False
            return True

        return properties

    def _k_dependentRequired(self, deps: dict[str, list[str]], _s: Any, _r: Any) -> _Check:
        def dependent_required(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            return all(
                all(other in value for other in others)
                for name, others in deps.items()
                if name in value
            )

        return dependent_required

    def _k_items(self, sub: Any, schema: dict[str, Any], resolver: Any) -> _Check:
        if "prefixItems" in schema:
            raise _NotCompilable("prefixItems")
        check = self.compile(sub, resolver)

        def items(value: Any) -> bool:
            if isinstance(value, list):
                for item in value:
                    if not check(item):
                        return False
            return True

        return items

    def _k_contains(self, sub: Any, schema: dict[str, Any], resolver: Any) -> _Check:
        if "minContains" in schema or "maxContains" in schema:
            raise _NotCompilable("minContains/maxContains")
        check = self.compile(sub, resolver)
        return lambda value: not isinstance(value, list) or any(check(item) for item in value)

    def _k_minItems(self, limit: int, _schema: Any, _resolver: Any) -> _Check:
        return lambda value: not isinstance(value, list) or len(value) >= limit

    def _k_maxItems(self, limit: int, _schema: Any, _resolver: Any) -> _Check:
        return lambda value: not isinstance(value, list) or len(value) <= limit

    def _k_minLength(self, limit: int, _schema: Any, _resolver: Any) -> _Check:
        return lambda value: not isinstance(value, str) or len(value) >= limit

    def _k_minimum(self, limit: float, _schema: Any, _resolver: Any) -> _Check:
        number = _is_type("number")
        return lambda value: not number(value) or value >= limit

    def _k_maximum(self, limit: float, _schema: Any, _resolver: Any) -> _Check:
        number = _is_type("number")
        return lambda value: not number(value) or value <= limit

    def _k_pattern(self, pattern: str, _schema: Any, _resolver: Any) -> _Check:
        search = re.compile(pattern).search
        return lambda value: not isinstance(value, str) or search(value) is not None

    def _k_format(self, fmt: str, _schema: Any, _resolver: Any) -> _Check:
        return _format_check(fmt)

    def _k_const(self, const: Any, _schema: Any, _resolver: Any) -> _Check:
        if not isinstance(const, str):
            raise _NotCompilable("a const other than a string")
        return lambda value: isinstance(value, str) and value == const

    def _k_enum(self, options: list[Any], _schema: Any, _resolver: Any) -> _Check:
        if not all(isinstance(option, str) for option in options):
            raise _NotCompilable("an enum of other than strings")
        allowed = frozenset(options)
        return lambda value: isinstance(value, str) and value in allowed


def _all_of(checks: list[_Check]) -> _Check:
    if not checks:
        return lambda _value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    if len(checks) == 3:
        first, second, third = checks
        return lambda value: first(value) and second(value) and third(value)

    def all_of(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - faster than all() over a generator
            if not check(value):
                return False
        return True

    return all_of


def _any_of(checks: list[_Check]) -> _Check:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) or second(value)
    return lambda value: any(check(value) for check in checks)


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
