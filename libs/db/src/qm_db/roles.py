"""Per-service login roles, each limited to its own schema."""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from qm_db.engine import plain_url

_SAFE = re.compile(r"^[a-z][a-z0-9_]*$")


def schema_name(service: str) -> str:
    """The Postgres schema of a service (`gold-dsl` -> `gold_dsl`)."""
    name = service.replace("-", "_")
    if not _SAFE.match(name):
        raise ValueError(f"invalid service name {service!r}")
    return name


def role_name(service: str) -> str:
    """The login role of a service (`qm_<schema>`)."""
    return f"qm_{schema_name(service)}"


async def ensure_service_role(admin_url: str, service: str, password: str | None = None) -> str:
    """Create (or refresh) the service's login role and schema; return the service's own URL.

    The role owns its schema and nothing else: no CREATE on the database or on `public`, so it
    cannot touch another service's tables.
    """
    schema, role = schema_name(service), role_name(service)
    password = password or secrets.token_urlsafe(24)
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        verb = "ALTER" if exists else "CREATE"
        await conn.execute(
            f"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
        )
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
        await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    finally:
        await conn.close()
    parts = urlsplit(plain_url(admin_url))
    host = parts.hostname or "127.0.0.1"
    netloc = f"{role}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
