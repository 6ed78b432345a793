"""Imports every table module so Base.metadata knows them all (Alembic and tests use this)."""

from models import chats, dialogs, org, outbox, people  # noqa: F401
