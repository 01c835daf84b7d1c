"""Per-service database logins (qm_db roles) and the one grant their migrations need."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import asyncpg

from qm_db.engine import plain_url
from qm_db.roles import ensure_service_role, role_name


def service_login(admin_url: str, service: str) -> str:
    """Create or refresh the service's role (owner of its schema only); return its URL."""
    return asyncio.run(ensure_service_role(admin_url, service))


async def _execute(admin_url: str, template: str, services: Sequence[str]) -> None:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        database = await conn.fetchval("SELECT current_database()")
        for service in services:
            sql = template.format(db=database, role=role_name(service))
            await _with_retries(conn, sql)
    finally:
        await conn.close()


async def _with_retries(conn: asyncpg.Connection, sql: str, attempts: int = 5) -> None:
    # Concurrent GRANTs on one database (another test session) fail with "tuple concurrently
    # updated"; the statement is idempotent, so retry it.
    for attempt in range(attempts):
        try:
            await conn.execute(sql)
            return
        except asyncpg.InternalServerError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))


@contextmanager
def migration_grant(admin_url: str, services: Sequence[str]) -> Iterator[None]:
    """CREATE on the database for the roles while their migrations run, revoked afterwards.

    Alembic's env issues `CREATE SCHEMA IF NOT EXISTS`, which Postgres checks against the
    database's CREATE privilege even when the schema exists and the role owns it.
    """
    asyncio.run(_execute(admin_url, 'GRANT CREATE ON DATABASE "{db}" TO {role}', services))
    try:
        yield
    finally:
        revoke = 'REVOKE CREATE ON DATABASE "{db}" FROM {role}'
        asyncio.run(_execute(admin_url, revoke, services))
