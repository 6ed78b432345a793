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
    assert heads == ["0010_h15_docs_signoff"]
