"""Serving test fixtures: migrated database, the app on the test's transaction, users, specs."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from qm_db.engine import make_sessionmaker
from qm_events.outbox import outbox_info
from qm_serving.app import create_app
from qm_serving.db import SERVICE, outbox
from qm_serving.settings import ServingSettings
from qm_testing import TestIssuer, app_client
from qm_testing.migrations import upgrade
from qm_testing.tenancy import StaticLimits, StaticMembership
from qm_web.rbac import Role

SERVING_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
CONFIGS = Path(__file__).resolve().parents[3] / "configs"
SERVICE_TOKEN = "test-service-token"
Headers = dict[str, str]


@pytest.fixture(scope="session")
async def serving_db(qm_database_url: str) -> str:
    """The worker database with serving's migrations applied."""
    await upgrade(SERVING_INI, qm_database_url)
    return qm_database_url


@pytest.fixture
def sessions(qm_connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test's transaction (their commits are savepoints)."""
    return make_sessionmaker(
        qm_connection, info=outbox_info(outbox, SERVICE), join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def serving_settings(
    serving_db: str, qm_redis_url: str, qm_redis_namespace: str
) -> ServingSettings:
    return ServingSettings(
        database_url=serving_db,
        redis_url=qm_redis_url,
        redis_namespace=qm_redis_namespace,
        service_token=SERVICE_TOKEN,
        serving_configs_dir=str(CONFIGS),
        serving_pace=50.0,
        serving_replay_minutes=0.25,
        log_json=False,
        serving_warm_up=False,
    )


@pytest.fixture
def membership() -> StaticMembership:
    return StaticMembership()


@pytest.fixture
def limits() -> StaticLimits:
    return StaticLimits()


@pytest.fixture
async def client(
    serving_settings: ServingSettings,
    sessions: async_sessionmaker[AsyncSession],
    membership: StaticMembership,
    limits: StaticLimits,
    qm_issuer: TestIssuer,
) -> AsyncIterator[httpx.AsyncClient]:
    """The serving app in-process, on the test's transaction, trusting the test issuer."""

    def swap(app: FastAPI) -> None:
        app.state.sessions = sessions
        app.state.membership = membership
        app.state.limits = limits
        qm_issuer.trust(app)

    async with app_client(create_app(serving_settings), after_startup=swap) as http:
        yield http


@pytest.fixture
def workspace(membership: StaticMembership) -> Callable[..., uuid.UUID]:
    """A fresh workspace with the given members: `workspace(alice="editor", bob="viewer")`."""

    def make(**members: str) -> uuid.UUID:
        ws = uuid.uuid4()
        for user, role in members.items():
            membership.grant(ws, user, Role.parse(role))
        return ws

    return make


@pytest.fixture
def as_user(qm_issuer: TestIssuer) -> Callable[..., Headers]:
    """Headers acting as a user in a workspace: `as_user("alice", ws)`."""

    def headers(user: str, ws: uuid.UUID) -> Headers:
        return qm_issuer.as_principal(user, workspace_id=ws)

    return headers


def _yaml(path: Path) -> dict[str, Any]:
    # YAML reads dates as date objects; a JSON body carries them as ISO strings
    data: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)
    )
    return data


@pytest.fixture
def register_body() -> Callable[..., dict[str, Any]]:
    """A registration body from configs/: `register_body("qmdemo_vp", tanh_scale=2.5)`."""

    def make(serving: str = "qmdemo_silver", **scoring: Any) -> dict[str, Any]:
        spec = copy.deepcopy(_yaml(CONFIGS / "serving" / f"{serving}.yaml"))
        if scoring:
            spec.setdefault("scoring", {}).update(scoring)
        pipeline = _yaml(CONFIGS / "pipeline" / f"{spec['pipeline']}.yaml")
        return {"serving": spec, "pipeline": pipeline}

    return make


@pytest.fixture
def register(client: httpx.AsyncClient, as_user: Callable[..., Headers]) -> Callable[..., Any]:
    """Register a body as `user` in `ws`; returns the serving id."""

    async def go(ws: uuid.UUID, user: str, body: dict[str, Any]) -> str:
        response = await client.post("/v1/serving/versions", json=body, headers=as_user(user, ws))
        assert response.status_code in (200, 201), response.text
        serving_id: str = response.json()["serving_id"]
        return serving_id

    return go
