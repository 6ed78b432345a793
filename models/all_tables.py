"""Imports every table module so Base.metadata knows them all (Alembic and tests use this)."""

from models import (  # noqa: F401
    bulletin_runs,
    cases,
    chats,
    dialogs,
    heartbeats,
    org,
    outbox,
    people,
    reminders,
    reports,
    updates,
)
