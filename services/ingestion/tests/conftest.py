"""Ingestion fixtures: scripted markets, a simulated gateway, a supervisor runner on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from redis.asyncio import Redis

from qm_events.market_stream import LiveStreamSource, StreamWriter, stream_key
from qm_ingestion.runtime.config import GatewayConfig, SessionSpec
from qm_ingestion.runtime.supervisor import Hooks, LiveSupervisor, State
from qm_market.envelope import F_SNAPSHOT, MarketBatch
from qm_market.instruments import load_instrument
from qm_market.lsg_sim import MarketScript, SimGateway, roll_script, synthetic_script
from qm_market.lsg_sim.snapshot import snapshot_records

ROOT = Path(__file__).resolve().parents[3]
KEY = "db-" + "t" * 24 + "qmsim"
INI = Path(__file__).resolve().parents[1] / "alembic.ini"


@pytest.fixture(scope="session")
def script() -> MarketScript:
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    return synthetic_script(
        inst, day=date(2026, 11, 2), minutes=0.5, seed=11, events_per_second=400
    )


def _es_roll(**kw: Any) -> MarketScript:
    """ESZ6 rolling into ESH7 (ES.c.0 remap); kw: day, start, roll_fraction, expirations."""
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    args: dict[str, Any] = {"day": date(2026, 11, 2), "minutes": 0.5, "seed": 11}
    return roll_script(
        inst,
        back_symbol="ESH7",
        back_instrument_id=42140999,
        events_per_second=400,
        **{**args, **kw},
    )


@pytest.fixture(scope="session")
def rolling() -> MarketScript:
    return _es_roll()


@pytest.fixture(scope="session")
def listed() -> MarketScript:
    """ESZ6 then ESH7 around 2026-12-10 17:00 New York (8 days before ESZ6's expiry), both
    listed as definitions of ES.FUT; the gateway's own remap comes later (roll_fraction)."""
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    return _es_roll(
        day=date(2026, 12, 10),
        start="16:59:45",
        roll_fraction=0.75,
        front_expiration_ns=inst.et_to_ns(date(2026, 12, 18), "09:30"),
        back_expiration_ns=inst.et_to_ns(date(2027, 3, 19), "09:30"),
    )


@pytest.fixture
async def listed_gateway(listed: MarketScript) -> AsyncIterator[SimGateway]:
    gw = SimGateway(listed, keys=[KEY], rate=2_000)
    await gw.start()
    yield gw
    await gw.close()


@pytest.fixture
async def gateway(script: MarketScript) -> AsyncIterator[SimGateway]:
    gw = SimGateway(script, keys=[KEY], rate=12_000)
    await gw.start()
    yield gw
    await gw.close()


@pytest.fixture
async def paused_gateway(script: MarketScript) -> AsyncIterator[SimGateway]:
    """A gateway whose market clock starts only on `play()` (live sessions from the head)."""
    gw = SimGateway(script, keys=[KEY], rate=12_000, autoplay=False)
    await gw.start()
    yield gw
    await gw.close()


@pytest.fixture
async def rolling_gateway(rolling: MarketScript) -> AsyncIterator[SimGateway]:
    gw = SimGateway(rolling, keys=[KEY], rate=12_000)
    await gw.start()
    yield gw
    await gw.close()


def gateway_config(port: int, **kw: Any) -> GatewayConfig:
    base: dict[str, Any] = {
        "key": KEY,
        "port": port,
        "heartbeat_interval_s": 1,
        "watchdog_margin_s": 1.0,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.5,
        "checkpoint_interval_s": 0.2,
        "stop_timeout_s": 3.0,
    }
    return GatewayConfig(**{**base, **kw})


class RecordingHooks(Hooks):
    """Remembers what the supervisor persisted."""

    def __init__(self) -> None:
        self.rolls: list[tuple[str, str, str]] = []
        self.checkpoints: list[Any] = []
        self.ran = False

    async def running(self) -> None:
        self.ran = True

    async def checkpoint(self, cursors: Any, current: Any, seq: int, counters: Any) -> None:
        self.checkpoints.append((dict(cursors), current, seq))

    async def rolled(self, from_symbol: str, to_symbol: str, reason: str) -> None:
        self.rolls.append((from_symbol, to_symbol, reason))


@dataclass
class Run:
    """A supervisor running against a gateway, writing to a Redis stream."""

    sup: LiveSupervisor
    task: asyncio.Task[str]
    key: str
    redis: Redis
    hooks: RecordingHooks

    async def until(self, pred: Callable[[], bool], within: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not pred():
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.05)

    async def stop(self) -> str:
        self.sup.request_stop()
        return await asyncio.wait_for(self.task, 15)

    async def batches(self) -> list[MarketBatch]:
        return [b async for b in LiveStreamSource(self.redis, self.key, block_ms=200)]

    async def records(self) -> np.ndarray:
        parts = [b.records for b in await self.batches() if len(b)]
        return np.concatenate(parts)


@pytest.fixture
def start_run(qm_redis: Redis, qm_redis_namespace: str) -> Callable[..., Awaitable[Run]]:
    async def start(
        port: int,
        symbol: str = "ES.c.0",
        *,
        start_ns: int | None = 0,
        state: State | None = None,
        session_id: str = "s1",
        dataset: str = "GLBX.MDP3",
        **cfg: Any,
    ) -> Run:
        key = stream_key(qm_redis_namespace, session_id)
        sink = StreamWriter(qm_redis, key, session_id=session_id, dataset=dataset)
        hooks = RecordingHooks()
        spec = SessionSpec(
            session_id,
            dataset,
            symbol,
            start_ns=start_ns,
            snapshot=bool(cfg.pop("snapshot", False)),
            roll=cfg.pop("roll", None),
        )
        sup = LiveSupervisor(spec, gateway_config(port, **cfg), sink, hooks=hooks, state=state)
        return Run(sup, asyncio.create_task(sup.run()), key, qm_redis, hooks)

    return start


@pytest.fixture(scope="session")
async def live_db(qm_postgres_server: str) -> AsyncIterator[str]:
    """A migrated database with real commits (the worker and the API share it)."""
    from qm_testing.migrations import upgrade
    from qm_testing.servers import create_database, drop_database

    url = await create_database(qm_postgres_server, prefix="qm_ingest")
    await upgrade(INI, url)
    yield url
    await drop_database(qm_postgres_server, url)


SERVICE_TOKEN = "ingestion-test-service-token"


def ingestion_settings(db_url: str, redis_url: str, namespace: str, port: int) -> Any:
    from qm_ingestion.settings import IngestionSettings

    return IngestionSettings(
        database_url=db_url,
        redis_url=redis_url,
        redis_namespace=namespace,
        ingestion_gateway_port=port,
        ingestion_databento_key=KEY,
        service_token=SERVICE_TOKEN,
        ingestion_rolls_dir=str(ROOT / "configs/rolls"),
        ingestion_lease_s=2.0,
        ingestion_poll_s=0.1,
        ingestion_checkpoint_interval_s=0.2,
        ingestion_watchdog_margin_s=1.0,
        ingestion_max_attempts=4,
        log_json=False,
    )


@pytest.fixture
def make_settings() -> Callable[..., Any]:
    """IngestionSettings for a database, Redis, namespace and gateway port."""
    return ingestion_settings


@pytest.fixture
async def slow_gateway(script: MarketScript) -> AsyncIterator[SimGateway]:
    """The script played slowly enough to kill a worker in the middle of it (clock paused)."""
    gw = SimGateway(script, keys=[KEY], rate=2_000, autoplay=False)
    await gw.start()
    yield gw
    await gw.close()


FRONT_ID, BACK_ID = 42140878, 42140999
SNAPSHOT_FIELDS = ("instrument_id", "action", "side", "price", "size", "order_id", "flags")


def _roll_ns() -> int:
    """The listed script's roll instant: 2026-12-18 (ESZ6 expiry) - 8 days, 17:00 New York."""
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    return inst.et_to_ns(date(2026, 12, 10), "17:00")


def _check_scheduled_delivery(
    batches: list[MarketBatch], script: MarketScript, gw: SimGateway
) -> None:
    """Front records before the instant, one roll entry, the back contract's snapshot + records."""
    marks = [i for i, b in enumerate(batches) if b.extra.get("roll")]
    assert len(marks) == 1
    mark = batches[marks[0]]
    assert (mark.extra["from_instrument"], mark.extra["to_instrument"]) == (FRONT_ID, BACK_ID)
    before = np.concatenate([b.records for b in batches[: marks[0]] if len(b)])
    after = np.concatenate([b.records for b in batches[marks[0] + 1 :] if len(b)])
    recs, instant = script.records, _roll_ns()
    front = recs[(recs["instrument_id"] == FRONT_ID) & (recs["ts_event"] < instant)]
    assert np.array_equal(before, front)
    assert int((recs["instrument_id"] == FRONT_ID).sum()) > front.shape[0]  # some were cut
    # the back contract: a snapshot at the head of its first connection, then its records
    first_back = next(c for c in gw.connections if c.subscriptions and _symbol(c) == "ESH7")
    head = first_back.head
    snap = snapshot_records(recs[:head], BACK_ID, ts_event=0, ts_recv=0)
    n_snap = snap.shape[0]
    assert bool((after[:n_snap]["flags"] & F_SNAPSHOT).all())
    for name in SNAPSHOT_FIELDS:
        assert np.array_equal(after[:n_snap][name], snap[name]), name
    sel = script.selection("ESH7")
    assert np.array_equal(after[n_snap:], recs[sel[sel >= head]])


def _symbol(conn: Any) -> str:
    return str(conn.subscriptions[0].get("symbols", ""))


@pytest.fixture
def check_scheduled_delivery() -> Callable[[list[MarketBatch], MarketScript, SimGateway], None]:
    """Asserts a listed-script session's stream around its days_before_expiry roll."""
    return _check_scheduled_delivery
