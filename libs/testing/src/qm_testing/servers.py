"""Where the tests' Postgres and Redis come from: the env URL, else an embedded server."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from qm_db.engine import plain_url


@contextmanager
def postgres_server() -> Iterator[str]:
    """URL of a Postgres server: QM_TEST_DATABASE_URL, else an embedded one for this run."""
    url = os.environ.get("QM_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from qm_devstack.postgres import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="qm-test-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pgdata", fsync=False)
        try:
            yield server.start()
        finally:
            server.stop()


@contextmanager
def redis_server() -> Iterator[str]:
    """URL of a Redis server: QM_TEST_REDIS_URL, else an embedded Valkey for this run."""
    url = os.environ.get("QM_TEST_REDIS_URL")
    if url:
        yield url
        return
    from qm_devstack.valkey import EmbeddedValkey

    with tempfile.TemporaryDirectory(prefix="qm-test-valkey-") as tmp:
        server = EmbeddedValkey(Path(tmp))
        try:
            yield server.start()
        finally:
            server.stop()


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(plain_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def create_database(server_url: str, prefix: str = "qm_test") -> str:
    """Create a uniquely named database on the server and return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database created by `create_database` (terminating leftover sessions)."""
    name = urlsplit(database_url).path.lstrip("/")
    conn = await asyncpg.connect(plain_url(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
