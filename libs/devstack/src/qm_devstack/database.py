"""Per-service database logins (qm_db roles) and the one grant their migrations need."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from qm_db.engine import plain_url
from qm_db.roles import ensure_service_role, role_name


def service_login(admin_url: str, service: str) -> str:
    """Create or refresh the service's role (owner of its schema only); return its URL."""
    return asyncio.run(ensure_service_role(admin_url, service))


async def _execute(admin_url: str, template: str, service: str) -> None:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute(template.format(db=database, role=role_name(service)))
    finally:
        await conn.close()


@contextmanager
def migration_grant(admin_url: str, service: str) -> Iterator[None]:
    """CREATE on the database for the role while its migrations run, revoked afterwards.

    Alembic's env issues `CREATE SCHEMA IF NOT EXISTS`, which Postgres checks against the
    database's CREATE privilege even when the schema exists and the role owns it.
    """
    asyncio.run(_execute(admin_url, 'GRANT CREATE ON DATABASE "{db}" TO {role}', service))
    try:
        yield
    finally:
        asyncio.run(_execute(admin_url, 'REVOKE CREATE ON DATABASE "{db}" FROM {role}', service))
