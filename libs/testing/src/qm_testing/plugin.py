"""pytest plugin of qm_testing: real Postgres and Redis, a database per run, rollback per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from qm_db.engine import make_engine
from qm_testing.identity import TestIssuer
from qm_testing.servers import create_database, drop_database, postgres_server, redis_server


@pytest.fixture(scope="session")
def qm_postgres_server() -> Iterator[str]:
    """The Postgres server of this test run."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
async def qm_database_url(qm_postgres_server: str) -> AsyncIterator[str]:
    """A fresh database for this test worker, dropped at the end."""
    url = await create_database(qm_postgres_server)
    yield url
    await drop_database(qm_postgres_server, url)


@pytest.fixture(scope="session")
async def qm_engine(qm_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine over the worker's database."""
    engine = make_engine(qm_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def qm_connection(qm_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with qm_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture(scope="session")
def qm_redis_url() -> Iterator[str]:
    """The Redis server of this test run."""
    with redis_server() as url:
        yield url


@pytest.fixture
def qm_redis_namespace() -> str:
    """A key prefix unique to this test, so tests never see each other's streams."""
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def qm_redis(qm_redis_url: str, qm_redis_namespace: str) -> AsyncIterator[Redis]:
    """A client; keys under this test's namespace are deleted afterwards."""
    client = Redis.from_url(qm_redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{qm_redis_namespace}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(scope="session")
def qm_issuer() -> TestIssuer:
    """The test identity provider."""
    return TestIssuer()
