"""The few places where SQLite and PostgreSQL differ."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fedi_aid.db.engine import is_postgres


def insert_ignoring_duplicates(session: AsyncSession, table: Any, unique_columns: list[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's dialect."""
    module = postgresql if is_postgres(session) else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=unique_columns)
