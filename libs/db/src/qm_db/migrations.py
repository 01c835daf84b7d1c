"""Per-service alembic helpers: the version table lives inside the service's own schema."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from qm_db.engine import async_url


def _include_object(schema: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return bool(getattr(obj, "schema", None) == schema)
        return True

    return include


def _include_name(schema: str) -> Any:
    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        return name == schema if type_ == "schema" else True

    return include


def _configure(connection: Connection, metadata: MetaData, schema: str) -> None:
    # CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database, which service roles lack
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
    ).first()
    if exists is None:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=_include_name(schema),
        include_object=_include_object(schema),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData, schema: str) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.begin() as conn:
        await conn.run_sync(_configure, metadata, schema)
    await engine.dispose()


def run_migrations(metadata: MetaData, schema: str) -> None:
    """Body of a service's `migrations/env.py`: run online against the configured URL.

    The URL comes from the alembic config's `sqlalchemy.url` option, which the service's env.py
    fills from its settings (QM_DATABASE_URL) before calling this.
    """
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: sqlalchemy.url is not set (QM_DATABASE_URL)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection, metadata, schema)
        return
    asyncio.run(_run_online(url, metadata, schema))
