"""Transactional outbox: `emit` writes the envelope in the business transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    String,
    Table,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.logging import correlation_id_var
from qm_events.envelope import DomainEvent, Envelope

OUTBOX_KEY = "qm_outbox"
SOURCE_KEY = "qm_source"


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table of one service schema (declare it in the service's db.py)."""
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
        Column("attempts", BigInteger, nullable=False, server_default="0"),
    )


def consumed_event_table(metadata: MetaData) -> Table:
    """Envelope ids a consumer has handled (idempotency), in the consumer's own schema."""
    return Table(
        "consumed_event",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("consumed_at", DateTime(timezone=True), nullable=False),
    )


def outbox_info(table: Table, source: str) -> dict[str, Any]:
    """Session `info` that binds `emit` to a service's outbox (pass to make_sessionmaker)."""
    return {OUTBOX_KEY: table, SOURCE_KEY: source}


async def emit(
    session: AsyncSession,
    event: DomainEvent,
    *,
    workspace_id: uuid.UUID | None = None,
    subject: str | None = None,
    causation_id: str | None = None,
) -> Envelope:
    """Write `event` to this session's outbox; it is published only if the transaction commits."""
    table: Table | None = session.info.get(OUTBOX_KEY)
    source: str | None = session.info.get(SOURCE_KEY)
    if table is None or source is None:
        raise RuntimeError("session is not bound to an outbox (see outbox_info)")
    envelope = Envelope(
        type=event.type_for(source),
        source=source,
        subject=subject,
        workspace_id=workspace_id,
        correlation_id=correlation_id_var.get(),
        causation_id=causation_id,
        data=event.model_dump(mode="json"),
    )
    await session.execute(
        insert(table).values(
            event_id=envelope.id,
            event_type=envelope.type,
            envelope=envelope.model_dump(mode="json"),
            created_at=envelope.time,
        )
    )
    return envelope
