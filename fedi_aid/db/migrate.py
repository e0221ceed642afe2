"""Run Alembic migrations on the configured database (SQLite or PostgreSQL schema)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from fedi_aid.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _joined(revisions: tuple[str, ...] | list[str]) -> str | None:
    """Branches (one per feature area) may leave several heads; compare them as one string."""
    return ",".join(sorted(revisions)) or None


def head_revision() -> str | None:
    return _joined(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current(connection: Connection) -> str | None:
    return _joined(MigrationContext.configure(connection).get_current_heads())


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def migrate(engine: AsyncEngine, settings: Settings) -> tuple[str | None, str | None]:
    """Bring the schema to head. Returns (revision before, revision after)."""
    if settings.database_schema and not settings.is_sqlite:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"'))
    async with engine.begin() as conn:
        if not settings.is_sqlite:
            # Several processes may start at once: one migrates, the others wait for it.
            await conn.execute(text("SELECT pg_advisory_xact_lock(7291504)"))
        before = await conn.run_sync(_current)
        if before != head_revision():
            await conn.run_sync(_upgrade)
        after = await conn.run_sync(_current)
    return before, after
