"""Ingestion's table base (schema `ingestion`), its outbox and its consumed-event ledger."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from qm_db.base import service_registry
from qm_events.outbox import consumed_event_table, outbox_table

SCHEMA = "ingestion"
SERVICE = "ingestion"

registry = service_registry(SCHEMA)


class IngestionTable(SQLModel, registry=registry):
    """Base of every ingestion table."""


outbox = outbox_table(registry.metadata)
consumed_event = consumed_event_table(registry.metadata)


def load_metadata() -> MetaData:
    """The complete schema: imports every feature's tables so alembic sees them all."""
    importlib.import_module("qm_ingestion.live.tables")
    return registry.metadata
