"""The jobs service's table base (schema `jobs`), its outbox and its consumed-event ledger."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from qm_db.base import service_registry
from qm_events.outbox import consumed_event_table, outbox_table

SCHEMA = "jobs"
SERVICE = "jobs"

registry = service_registry(SCHEMA)


class JobsTable(SQLModel, registry=registry):
    """Base of every jobs table."""


outbox = outbox_table(registry.metadata)
consumed_event = consumed_event_table(registry.metadata)

_FEATURES = ("experiments", "runs", "artifacts")


def load_metadata() -> MetaData:
    """The complete schema: imports every feature's tables so alembic sees them all."""
    for feature in _FEATURES:
        importlib.import_module(f"qm_jobs.{feature}.tables")
    return registry.metadata
