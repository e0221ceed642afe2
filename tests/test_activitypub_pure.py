"""`fedi_aid/activitypub/` stays pure: no network, database or other I/O libraries.

The check parses the source of every module in the package with `ast` (nothing is imported),
so it covers modules added later. Only `validate.py` may read files: the schemas, once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fedi_aid" / "activitypub"

# Modules (and everything below them) that do I/O or pull in the server's I/O layers.
FORBIDDEN_MODULES = (
    "aiohttp",
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "sqlite3",
    "psycopg",
    "psycopg2",
    "httpx",
    "requests",
    "urllib3",
    "aiofiles",
    "httpsig",
    "http_message_signatures",
    "asyncio",
    "socket",
    "ssl",
    "selectors",
    "subprocess",
    "multiprocessing",
    "smtplib",
    "ftplib",
    "importlib",
    "http.client",
    "http.server",
    "urllib.request",
    "fedi_aid.db",
    "fedi_aid.federation",
    "fedi_aid.inbox",
    "fedi_aid.outbox",
    "fedi_aid.delivery",
    "fedi_aid.web",
    "fedi_aid.app",
    "fedi_aid.worker",
)

# Calls that touch the file system. Reading is allowed in validate.py only (the schemas).
WRITE_CALLS = frozenset(
    {"write_text", "write_bytes", "mkdir", "unlink", "touch", "rmdir", "symlink_to"}
)
READ_CALLS = frozenset({"open", "read_text", "read_bytes", "glob", "iterdir"})
READERS = frozenset({"validate.py"})


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> list[str]:
    relative = path.relative_to(PACKAGE.parents[1]).with_suffix("")
    parts = list(relative.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_names(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """Every module name imported anywhere in the file, relative imports made absolute."""
    names: list[tuple[int, str]] = []
    package = _dotted(path)
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.append((node.lineno, module))
            names.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            names.append((node.lineno, "importlib"))
    return names


def _is_forbidden(module: str) -> bool:
    return any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_MODULES)


def test_package_has_modules() -> None:
    names = {path.name for path in _modules()}
    assert {"vocab.py", "normalize.py", "validate.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_imports_no_io_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offending = [
        f"line {line}: {module}"
        for line, module in _imported_names(tree, path)
        if _is_forbidden(module)
    ]
    assert not offending, f"{path.name} must stay pure, but imports " + ", ".join(offending)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_does_no_file_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = READ_CALLS if path.name in READERS else frozenset()
    offending = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "open" and isinstance(func, ast.Name) and "open" not in allowed:
            offending.append(f"line {node.lineno}: open()")
        elif isinstance(func, ast.Attribute) and (
            name in WRITE_CALLS or (name in READ_CALLS and name not in allowed)
        ):
            offending.append(f"line {node.lineno}: .{name}()")
    assert not offending, f"{path.name} must do no file I/O, but calls " + ", ".join(offending)


def test_checker_catches_a_forbidden_import() -> None:
    """The checker itself works: these sources would be rejected."""
    fake = PACKAGE / "example.py"
    for source in (
        "import aiohttp\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n",
        "def f():\n    import socket\n",
        "from ..db import actors\n",
        "from fedi_aid import db\n",
        "__import__('aiohttp')\n",
    ):
        modules = [m for _, m in _imported_names(ast.parse(source), fake)]
        assert any(_is_forbidden(m) for m in modules), source
    for source in ("import json\n", "from urllib.parse import urlsplit\n", "from . import vocab\n"):
        modules = [m for _, m in _imported_names(ast.parse(source), fake)]
        assert not any(_is_forbidden(m) for m in modules), source
