"""Imports every table module so Base.metadata knows them all (Alembic and tests use this)."""

from models import bulletin_runs, cases, chats, dialogs, org, outbox, people, reports  # noqa: F401
