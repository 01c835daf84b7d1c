"""Serving's table base (schema `serving`), its outbox and its consumed-event ledger."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from qm_db.base import service_registry
from qm_events.outbox import consumed_event_table, outbox_table

SCHEMA = "serving"
SERVICE = "serving"

registry = service_registry(SCHEMA)


class ServingTable(SQLModel, registry=registry):
    """Base of every serving table."""


outbox = outbox_table(registry.metadata)
consumed_event = consumed_event_table(registry.metadata)

_FEATURES = ("versions", "aliases", "internal")


def load_metadata() -> MetaData:
    """The complete schema: imports every feature's tables so alembic sees them all."""
    for feature in _FEATURES:
        importlib.import_module(f"qm_serving.{feature}.tables")
    return registry.metadata
