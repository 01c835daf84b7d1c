"""Tenancy test fixtures: migrated database, the app on the test's transaction, identities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from qm_db.engine import make_sessionmaker
from qm_events.outbox import outbox_info
from qm_tenancy.app import create_app
from qm_tenancy.db import SERVICE, outbox
from qm_tenancy.deps import LocalMembership
from qm_tenancy.settings import TenancySettings
from qm_testing import TestIssuer, app_client
from qm_testing.migrations import upgrade

TENANCY_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
SERVICE_TOKEN = "test-service-token"


@pytest.fixture(scope="session")
async def tenancy_db(qm_database_url: str) -> str:
    """The worker database with tenancy's migrations applied."""
    await upgrade(TENANCY_INI, qm_database_url)
    return qm_database_url


@pytest.fixture
def sessions(qm_connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test's transaction (their commits are savepoints)."""
    return make_sessionmaker(
        qm_connection, info=outbox_info(outbox, SERVICE), join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def tenancy_settings(tenancy_db: str, qm_redis_url: str) -> TenancySettings:
    return TenancySettings(
        database_url=tenancy_db, redis_url=qm_redis_url, service_token=SERVICE_TOKEN
    )


@pytest.fixture
async def client(
    tenancy_settings: TenancySettings,
    sessions: async_sessionmaker[AsyncSession],
    qm_issuer: TestIssuer,
) -> AsyncIterator[httpx.AsyncClient]:
    """The tenancy app in-process, on the test's transaction, trusting the test issuer."""

    def swap(app: FastAPI) -> None:
        app.state.sessions = sessions
        app.state.membership = LocalMembership(sessions)
        qm_issuer.trust(app)

    async with app_client(create_app(tenancy_settings), after_startup=swap) as http:
        yield http


Headers = dict[str, str]


@pytest.fixture
def service_headers() -> Headers:
    """What another service sends to tenancy's internal API."""
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}


@pytest.fixture
def as_user(qm_issuer: TestIssuer) -> Callable[..., Headers]:
    """Headers acting as a user: `as_user("alice", workspace_id=ws)`."""
    return qm_issuer.as_principal


@pytest.fixture
def new_workspace(
    client: httpx.AsyncClient, as_user: Callable[..., Headers]
) -> Callable[..., Awaitable[tuple[uuid.UUID, str]]]:
    """Create a workspace owned by a fresh user; returns (workspace_id, owner)."""

    async def make(owner: str | None = None) -> tuple[uuid.UUID, str]:
        owner = owner or f"owner-{uuid.uuid4().hex[:8]}"
        slug = f"ws-{uuid.uuid4().hex[:10]}"
        response = await client.post(
            "/v1/workspaces", json={"name": slug, "slug": slug}, headers=as_user(owner)
        )
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["workspace_id"]), owner

    return make


@pytest.fixture
def add_member(
    client: httpx.AsyncClient, as_user: Callable[..., Headers]
) -> Callable[..., Awaitable[str]]:
    """Have `actor` give `user` a role in `ws`; returns the user id."""

    async def add(ws: uuid.UUID, actor: str, role: str, user: str | None = None) -> str:
        user = user or f"{role}-{uuid.uuid4().hex[:8]}"
        response = await client.post(
            f"/v1/workspaces/{ws}/members",
            json={"user_id": user, "role": role},
            headers=as_user(actor),
        )
        assert response.status_code in (200, 201), response.text
        return user

    return add
