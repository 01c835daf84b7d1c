"""Killing the worker process (SIGKILL) and starting another resumes exactly from the checkpoint."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from typing import Any

import numpy as np
from redis.asyncio import Redis
from sqlalchemy import text

from qm_db.engine import make_engine, make_sessionmaker
from qm_db.uow import unit_of_work
from qm_events.market_stream import LiveStreamSource, stream_key, stream_state
from qm_events.outbox import outbox_info
from qm_ingestion.db import SERVICE, outbox
from qm_ingestion.live.schemas import LiveSessionCreate
from qm_ingestion.live.service import request_session, request_stop
from qm_market.lsg_sim import MarketScript, SimGateway


def _worker(settings: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QM_DATABASE_URL": settings.database_url,
        "QM_REDIS_URL": settings.redis_url,
        "QM_REDIS_NAMESPACE": settings.redis_namespace,
        "QM_INGESTION_GATEWAY_PORT": str(settings.ingestion_gateway_port),
        "QM_INGESTION_DATABENTO_KEY": settings.ingestion_databento_key,
        "QM_INGESTION_LEASE_S": "1.5",
        "QM_INGESTION_POLL_S": "0.1",
        "QM_INGESTION_CHECKPOINT_INTERVAL_S": "0.2",
        "QM_INGESTION_WATCHDOG_MARGIN_S": "1",
        "QM_LOG_JSON": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "qm_ingestion.worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _seq(redis: Redis, key: str) -> int:
    state = await stream_state(redis, key)
    return 0 if state is None else state.seq


async def _until(pred: Any, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await pred():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_sigkill_and_restart_resume_exactly(
    live_db: str,
    qm_redis_url: str,
    qm_redis_namespace: str,
    slow_gateway: SimGateway,
    script: MarketScript,
    make_settings: Any,
) -> None:
    settings = make_settings(live_db, qm_redis_url, qm_redis_namespace, slow_gateway.port)
    engine = make_engine(live_db)
    sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
    redis = Redis.from_url(qm_redis_url)
    ws, n = uuid.uuid4(), len(script)
    async with unit_of_work(sessions, workspace_id=ws) as s:
        row = await request_session(
            s,
            workspace_id=ws,
            actor_id="tester",
            max_streams=4,
            request=LiveSessionCreate(symbol="ES.c.0", start_ns=0, heartbeat_interval_s=1),
        )
    sid = row.session_id
    key = stream_key(qm_redis_namespace, str(sid))
    first = _worker(settings)
    try:
        await _until(lambda: _connected(slow_gateway))
        slow_gateway.play()  # the market starts once the first worker streams
        await _until(lambda: _ready(redis, key, n // 4))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = await _seq(redis, key)
        assert killed_at < n
        second = _worker(settings)
        try:
            await _until(lambda: _ready(redis, key, n))
            async with unit_of_work(sessions, workspace_id=ws) as s:
                await request_stop(s, workspace_id=ws, actor_id="tester", session_id=sid)
            await _until(lambda: _status(sessions, sid, "stopped"))
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
        records = [b.records async for b in LiveStreamSource(redis, key, block_ms=200) if len(b)]
        await redis.aclose()
        await engine.dispose()
    assert np.array_equal(np.concatenate(records), script.expected("ES.c.0", 0))
    assert len(slow_gateway.connections) >= 2
    resumed = slow_gateway.connections[-1].subscriptions[0]
    assert int(resumed["start"]) > 0


async def _connected(gw: SimGateway) -> bool:
    return any(c.started for c in gw.connections)


async def _ready(redis: Redis, key: str, seq: int) -> bool:
    return await _seq(redis, key) >= seq


async def _status(sessions: Any, sid: uuid.UUID, status: str) -> bool:
    async with sessions() as s:
        got = (
            await s.execute(
                text("SELECT status FROM ingestion.ingestion_live_session WHERE session_id = :sid"),
                {"sid": sid},
            )
        ).scalar_one()
    return bool(got == status)
