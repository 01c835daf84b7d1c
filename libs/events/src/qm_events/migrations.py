"""Alembic operations for the event tables every service schema has (outbox, consumed_event).

Call them from a service's first migration, inside alembic's migration context; they create
exactly what `outbox_table` and `consumed_event_table` declare.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_event_tables(schema: str) -> None:
    """`<schema>.consumed_event` and `<schema>.outbox` with its publish-state index."""
    op.create_table(
        "consumed_event",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_consumed_event")),
        schema=schema,
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_outbox_published_at"), "outbox", ["published_at"], unique=False, schema=schema
    )


def drop_event_tables(schema: str) -> None:
    """The reverse of `create_event_tables`."""
    op.drop_index(op.f("ix_outbox_published_at"), table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)
    op.drop_table("consumed_event", schema=schema)
