"""API + worker end to end on a real database: lifecycle, faults, stop, rolls, refusals."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text

from qm_db.engine import make_engine, make_sessionmaker
from qm_events.market_stream import LiveStreamSource
from qm_events.outbox import outbox_info
from qm_ingestion.app import create_app
from qm_ingestion.db import SERVICE, outbox
from qm_ingestion.runtime.worker import Worker
from qm_market.lsg_sim import MarketScript, SimGateway
from qm_testing import TestIssuer, app_client
from qm_testing.tenancy import StaticLimits, StaticMembership
from qm_web.rbac import Role

ROLLS = Path(__file__).resolve().parents[3] / "configs" / "rolls"


@dataclass
class Stack:
    http: httpx.AsyncClient
    headers: dict[str, str]
    ws: uuid.UUID
    limits: StaticLimits
    worker: Worker
    redis: Redis
    sessions: Any

    async def create(self, **body: Any) -> httpx.Response:
        payload = {"symbol": "ES.c.0", "start_ns": 0, "heartbeat_interval_s": 1, **body}
        return await self.http.post(
            "/v1/ingestion/live/sessions", json=payload, headers=self.headers
        )

    async def get(self, sid: str) -> dict[str, Any]:
        r = await self.http.get(f"/v1/ingestion/live/sessions/{sid}", headers=self.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def wait(self, sid: str, pred: Any, within: float = 30.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            body = await self.get(sid)
            if pred(body):
                return body
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.1)

    async def rolls(self, sid: str) -> tuple[list[Any], list[Any]]:
        """The session's contract_roll_event rows and its contract_rolled audit envelopes."""
        async with self.sessions() as s:
            rows = await s.execute(
                text(
                    "SELECT from_contract, to_contract, reason FROM ingestion.contract_roll_event "
                    "WHERE session_id = :sid"
                ),
                {"sid": uuid.UUID(sid)},
            )
            audit = await s.execute(
                text(
                    "SELECT envelope FROM ingestion.outbox WHERE event_type = "
                    "'ingestion.audit_recorded.v1' AND envelope::text LIKE '%contract_rolled%' "
                    "AND envelope::text LIKE :p"
                ),
                {"p": f"%{sid}%"},
            )
            return list(rows.all()), list(audit.all())

    async def events(self, sid: str) -> list[str]:
        async with self.sessions() as s:
            rows = await s.execute(
                text(
                    "SELECT event_type FROM ingestion.outbox WHERE envelope::text LIKE :p "
                    "ORDER BY created_at"
                ),
                {"p": f"%{sid}%"},
            )
            return [r[0] for r in rows]


async def _stack(settings: Any, redis_url: str, issuer: TestIssuer) -> AsyncIterator[Stack]:
    db = settings.database_url
    ws, user = uuid.uuid4(), f"u-{uuid.uuid4().hex[:6]}"
    membership, limits = StaticMembership(), StaticLimits(max_streams=2)
    membership.grant(ws, user, Role.editor)
    engine = make_engine(db)
    sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
    redis = Redis.from_url(redis_url)
    worker = Worker(settings, sessions, redis)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    def swap(app: FastAPI) -> None:
        app.state.membership, app.state.limits = membership, limits
        issuer.trust(app)

    try:
        async with app_client(create_app(settings), after_startup=swap) as http:
            yield Stack(
                http,
                issuer.as_principal(user, workspace_id=ws),
                ws,
                limits,
                worker,
                redis,
                sessions,
            )
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
        await redis.aclose()
        await engine.dispose()


@pytest.fixture
async def stack(
    live_db: str,
    qm_redis_url: str,
    qm_redis_namespace: str,
    gateway: SimGateway,
    qm_issuer: TestIssuer,
    make_settings: Any,
) -> AsyncIterator[Stack]:
    settings = make_settings(live_db, qm_redis_url, qm_redis_namespace, gateway.port)
    async for s in _stack(settings, qm_redis_url, qm_issuer):
        yield s


async def _records(redis: Redis, key: str) -> np.ndarray:
    parts = [b.records async for b in LiveStreamSource(redis, key, block_ms=200) if len(b)]
    return np.concatenate(parts)


async def test_session_lifecycle_with_a_fault(
    stack: Stack, gateway: SimGateway, script: MarketScript
) -> None:
    n = len(script)
    gateway.inject("reset", at_record=n // 2)
    created = await stack.create(roll_policy="es_calendar")
    assert created.status_code == 201, created.text
    sid = created.json()["session_id"]
    assert created.json()["status"] == "starting"
    again = await stack.create()
    assert again.status_code == 409
    # counters reach Postgres with the checkpoints (bounded interval)
    body = await stack.wait(
        sid, lambda b: b["counters"].get("records", 0) >= n and b["counters"]["gaps_filled"] >= 1
    )
    assert body["status"] == "running"
    assert body["counters"]["reconnects"] == 1
    assert body["counters"]["gaps_filled"] == 1
    assert body["checkpoint"]["sequence_id"] == n
    stopped = await stack.http.post(
        f"/v1/ingestion/live/sessions/{sid}/stop", headers=stack.headers
    )
    assert stopped.json()["status"] in ("stopping", "stopped")
    final = await stack.wait(sid, lambda b: b["status"] == "stopped")
    assert final["stopped_at"] is not None
    assert np.array_equal(
        await _records(stack.redis, final["stream_key"]), script.expected("ES.c.0", 0)
    )
    for _ in range(500):  # the gateway observes the client's close a moment after the status
        if gateway.connections[-1].closed:
            break
        await asyncio.sleep(0.02)
    assert gateway.connections[-1].closed
    # the supervisor task ends right after it writes the terminal status: nothing keeps running
    task = stack.worker.tasks.get(uuid.UUID(sid))
    if task is not None:
        await asyncio.wait_for(task, timeout=10)
    assert all(t.done() for t in stack.worker.tasks.values())
    events = await stack.events(sid)
    assert "ingestion.audit_recorded.v1" in events
    for name in ("live_session_requested", "live_session_started", "live_session_ended"):
        assert f"ingestion.{name}.v1" in events
    listed = await stack.http.get("/v1/ingestion/live/sessions", headers=stack.headers)
    assert [s["session_id"] for s in listed.json()] == [sid]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"symbol": "ZZZ9"}, "Failed to resolve symbol: ZZZ9"),
        ({"dataset": "XNAS.ITCH"}, "Unknown dataset"),
    ],
)
async def test_gateway_refusals_end_failed_with_its_reason(
    stack: Stack, body: dict[str, Any], reason: str
) -> None:
    created = await stack.create(**body)
    assert created.status_code == 201
    final = await stack.wait(created.json()["session_id"], lambda b: b["status"] == "failed")
    assert reason in final["reason"]


async def test_bad_requests_quota_and_flag(stack: Stack) -> None:
    assert (await stack.create(symbol="es c 0")).status_code == 422
    assert (await stack.create(schema="mbp-1")).status_code == 422
    assert (await stack.create(roll_policy="nope")).status_code == 422
    first = await stack.create(symbol="ESZ6")
    second = await stack.create(symbol="ES.c.0")
    assert (first.status_code, second.status_code) == (201, 201)
    third = await stack.create(symbol="NQ.c.0")
    assert third.status_code == 429
    stack.limits.flags[(stack.ws, "ff_live_ingestion")] = False
    assert (
        await stack.http.get("/v1/ingestion/live/sessions", headers=stack.headers)
    ).status_code == 403
    missing = await stack.http.get(
        f"/v1/ingestion/live/sessions/{uuid.uuid4()}", headers=stack.headers
    )
    assert missing.status_code == 403


@pytest.fixture
async def roll_stack(
    live_db: str,
    qm_redis_url: str,
    qm_redis_namespace: str,
    rolling_gateway: SimGateway,
    qm_issuer: TestIssuer,
    make_settings: Any,
) -> AsyncIterator[Stack]:
    settings = make_settings(live_db, qm_redis_url, qm_redis_namespace, rolling_gateway.port)
    async for s in _stack(settings, qm_redis_url, qm_issuer):
        yield s


async def test_scheduled_roll_is_logged_audited_and_switches_cleanly(
    roll_stack: Stack, rolling: MarketScript
) -> None:
    n = len(rolling)
    created = await roll_stack.create(roll_policy="es_calendar")
    sid = created.json()["session_id"]
    await roll_stack.wait(sid, lambda b: b["counters"].get("records", 0) >= n)
    await roll_stack.http.post(
        f"/v1/ingestion/live/sessions/{sid}/stop", headers=roll_stack.headers
    )
    final = await roll_stack.wait(sid, lambda b: b["status"] == "stopped")
    assert final["counters"]["rolls"] == 1
    rows, audit = await roll_stack.rolls(sid)
    assert [(r[0], r[1]) for r in rows] == [("ESZ6", "ESH7")]
    assert "remapped" in rows[0][2]
    assert len(audit) == 1
    batches = [
        b async for b in LiveStreamSource(roll_stack.redis, final["stream_key"], block_ms=200)
    ]
    assert all(len(set(b.records["instrument_id"].tolist())) <= 1 for b in batches)
    records = np.concatenate([b.records for b in batches])
    assert np.array_equal(records, rolling.expected("ES.c.0", 0))


async def test_internal_lookup_names_the_active_session_stream(stack: Stack) -> None:
    path = f"/internal/v1/workspaces/{stack.ws}/live/streams"
    service = {"Authorization": f"Bearer {stack.worker.settings.service_token}"}
    assert (await stack.http.get(path, params={"symbol": "ES.c.0"})).status_code == 401
    none = await stack.http.get(path, params={"symbol": "ES.c.0"}, headers=service)
    assert none.status_code == 404
    assert "no live session of ES.c.0" in none.text
    created = await stack.create()
    sid = created.json()["session_id"]
    found = await stack.http.get(path, params={"symbol": "ES.c.0"}, headers=service)
    assert found.status_code == 200, found.text
    assert found.json()["session_id"] == sid
    assert found.json()["stream_key"] == created.json()["stream_key"]
    other = await stack.http.get(
        f"/internal/v1/workspaces/{uuid.uuid4()}/live/streams",
        params={"symbol": "ES.c.0"},
        headers=service,
    )
    assert other.status_code == 404
    await stack.http.post(f"/v1/ingestion/live/sessions/{sid}/stop", headers=stack.headers)
    await stack.wait(sid, lambda b: b["status"] == "stopped")
    gone = await stack.http.get(path, params={"symbol": "ES.c.0"}, headers=service)
    assert gone.status_code == 404


@pytest.fixture
async def listed_stack(
    live_db: str,
    qm_redis_url: str,
    qm_redis_namespace: str,
    listed_gateway: SimGateway,
    qm_issuer: TestIssuer,
    make_settings: Any,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    """The real configs/rolls policies plus a broken one (days_before_expiry missing)."""
    rolls = tmp_path / "rolls"
    shutil.copytree(ROLLS, rolls)
    (rolls / "es_no_days.yaml").write_text(
        "kind: roll_policy\nname: es_no_days\ntrigger: days_before_expiry\n", encoding="utf-8"
    )
    settings = make_settings(live_db, qm_redis_url, qm_redis_namespace, listed_gateway.port)
    settings = settings.model_copy(update={"ingestion_rolls_dir": str(rolls)})
    async for s in _stack(settings, qm_redis_url, qm_issuer):
        yield s


async def test_days_before_expiry_roll_is_persisted_audited_and_clean(
    listed_stack: Stack,
    listed: MarketScript,
    listed_gateway: SimGateway,
    check_scheduled_delivery: Any,
) -> None:
    stack = listed_stack
    created = await stack.create(roll_policy="es_days_before_expiry")
    assert created.status_code == 201, created.text
    sid = created.json()["session_id"]
    last = int(listed.selection("ESH7")[-1])
    deadline = asyncio.get_running_loop().time() + 40
    while not any(int(i) == last for c in listed_gateway.connections for i in c.served()[-1:]):
        assert asyncio.get_running_loop().time() < deadline, "the back contract never finished"
        await asyncio.sleep(0.05)
    await stack.wait(sid, lambda b: b["counters"].get("rolls", 0) == 1)
    await asyncio.sleep(0.5)
    await stack.http.post(f"/v1/ingestion/live/sessions/{sid}/stop", headers=stack.headers)
    final = await stack.wait(sid, lambda b: b["status"] == "stopped")
    assert final["counters"]["rolls"] == 1
    assert final["counters"]["reconnects"] == 0
    rows, audit = await stack.rolls(sid)
    assert [(r[0], r[1]) for r in rows] == [("ESZ6", "ESH7")]
    assert rows[0][2].startswith("days_before_expiry: 8 days before ESZ6 expiry 2026-12-18")
    assert len(audit) == 1
    assert "days_before_expiry" in str(audit[0][0])
    batches = [b async for b in LiveStreamSource(stack.redis, final["stream_key"], block_ms=200)]
    assert all(len(set(b.records["instrument_id"].tolist())) <= 1 for b in batches)
    check_scheduled_delivery(batches, listed, listed_gateway)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"roll_policy": "es_no_days"}, "days_before_expiry is required"),
        ({"roll_policy": "es_days_before_expiry", "symbol": "ESZ6"}, "needs a continuous symbol"),
    ],
)
async def test_bad_roll_policies_are_refused_with_the_reason(
    listed_stack: Stack, body: dict[str, Any], reason: str
) -> None:
    refused = await listed_stack.create(**body)
    assert refused.status_code == 422, refused.text
    assert reason in refused.text
    listed = await listed_stack.http.get(
        "/v1/ingestion/live/sessions", headers=listed_stack.headers
    )
    assert listed.json() == []
