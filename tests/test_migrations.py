"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fedi_aid.db.migrate import current_revision, head_revision, migrate
from fedi_aid.db.registry import Base


async def test_migrate_is_idempotent_and_matches_models(make_instance) -> None:
    instance = await make_instance(start=False)
    engine = instance.ctx.engine
    assert await current_revision(engine) == head_revision()
    before, after = await migrate(engine, instance.settings)
    assert before == after == head_revision()

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
