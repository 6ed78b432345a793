"""`alembic upgrade heads` must produce exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

import models.all_tables  # noqa: F401
from models.base import Base


def _diff(connection):  # runs synchronously inside run_sync
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_models(engine: AsyncEngine):
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"models and migrations differ: {diff}"


def test_one_head_so_new_migrations_have_one_parent():
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused")).get_heads()
    assert len(heads) == 1, f"several heads, join them with a merge revision: {heads}"


def test_the_heads_read_from_the_files_are_alembics_heads():
    """bot.db.migration_heads parses the files so a start on a current schema skips alembic."""
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config, migration_heads

    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///:memory:"))
    assert migration_heads() == set(script.get_heads())


async def test_a_current_schema_is_recognised_and_a_new_one_is_not(db_url: str, tmp_path):
    from bot.db import make_engine, migration_heads, schema_revisions

    engine = make_engine(db_url)
    try:
        assert await schema_revisions(engine) == migration_heads()
    finally:
        await engine.dispose()
    empty = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await schema_revisions(empty) == set()
    finally:
        await empty.dispose()
