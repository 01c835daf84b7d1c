"""Audit end to end inside tenancy: mutations committed while Redis is down all reach the chain."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from qm_core.ids import WorkspaceId
from qm_db.engine import make_engine, make_sessionmaker
from qm_db.uow import unit_of_work
from qm_devstack.valkey import EmbeddedValkey
from qm_events.consumer import run_consumer
from qm_events.outbox import outbox_info
from qm_events.relay import RelayConfig, run_relay
from qm_tenancy.audit import service as audit
from qm_tenancy.audit.consumers import on_envelope
from qm_tenancy.consumer import audit_consumer_config
from qm_tenancy.db import SERVICE, consumed_event, outbox
from qm_tenancy.workspaces import service as workspaces
from qm_tenancy.workspaces.schemas import MemberUpsert, WorkspaceCreate
from qm_testing.migrations import upgrade
from qm_testing.servers import create_database, drop_database
from qm_web.rbac import Role

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@pytest.fixture
async def committed_db(qm_postgres_server: str) -> AsyncIterator[str]:
    """A migrated database of its own: this test commits for real (relay and consumer need it)."""
    url = await create_database(qm_postgres_server, prefix="qm_audit")
    await upgrade(INI, url)
    yield url
    await drop_database(qm_postgres_server, url)


async def test_no_audit_event_is_lost_while_redis_is_down(committed_db: str, tmp_path: Path):
    engine = make_engine(committed_db, pool_size=4)
    sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
    valkey = EmbeddedValkey(tmp_path / "valkey")
    redis = Redis.from_url(valkey.start())
    port, stop, namespace = valkey.port, asyncio.Event(), "pipe:"
    relay_config = RelayConfig(
        source=SERVICE,
        namespace=namespace,
        backoff_initial_s=0.05,
        backoff_max_s=0.3,
        idle_sleep_s=0.05,
    )
    tasks = [
        asyncio.create_task(run_relay(sessions, outbox, redis, relay_config, stop)),
        asyncio.create_task(
            run_consumer(
                sessions, consumed_event, redis, audit_consumer_config(namespace), on_envelope, stop
            )
        ),
    ]
    try:
        async with unit_of_work(sessions, system=True) as session:
            ws = (
                await workspaces.found_workspace(
                    session,
                    request=WorkspaceCreate(name="Pipe", slug=f"pipe-{uuid.uuid4().hex[:6]}"),
                    owner_id="olga",
                    owner_email=None,
                )
            ).workspace_id
        valkey.stop()
        for i in range(5):  # mutations while Redis is away
            async with unit_of_work(sessions, workspace_id=WorkspaceId(ws)) as session:
                await workspaces.admit_member(
                    session,
                    workspace_id=WorkspaceId(ws),
                    actor_id="olga",
                    actor_role=Role.owner,
                    request=MemberUpsert(user_id=f"user-{i}", role="viewer"),
                )
        await asyncio.sleep(0.5)
        valkey = EmbeddedValkey(tmp_path / "valkey", port=port)
        valkey.start()
        verdict = None
        for _ in range(150):
            async with unit_of_work(sessions, workspace_id=WorkspaceId(ws)) as session:
                verdict = await audit.verify_chain(session, workspace_id=WorkspaceId(ws))
            if verdict.count == 6:
                break
            await asyncio.sleep(0.1)
        assert verdict is not None
        assert verdict.ok
        assert verdict.count == 6  # workspace.created + five member.added, none lost
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await redis.aclose()
        valkey.stop()
        await engine.dispose()
