"""Ingestion soak: >= 1 M records through the simulated gateway with a random fault every few
seconds (close, reset, silence, error-then-close, slow reading), supervised by the real
databento client + LiveSupervisor, published to a Redis stream and read back by the envelope
reader. Counts records lost and duplicated (both must be 0), reconnects, and the p50/p99
record-to-downstream latency (callback receipt -> reader holds the batch). Loopback only,
bounded in time. Needs Redis at QM_REDIS_URL (default redis://127.0.0.1:6379/0). Writes
var/bench/ingestion.json.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from redis.asyncio import Redis

from qm_events.market_stream import LiveStreamSource, StreamWriter, stream_key
from qm_ingestion.runtime.config import GatewayConfig, SessionSpec
from qm_ingestion.runtime.supervisor import LiveSupervisor
from qm_market.instruments import load_instrument
from qm_market.lsg_sim import MarketScript, SimGateway, synthetic_script

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
KEY = "db-" + "b" * 24 + "bench"
MINUTES, EVENTS_PER_S, RATE = 3.3, 2800.0, 25_000.0
FAULT_EVERY_S = (1.0, 3.0)
FAULTS = ("close", "reset", "silence", "error", "slow")
TIME_LIMIT_S = 240.0


async def _faults(gw: SimGateway, done: asyncio.Event, rng: random.Random) -> list[str]:
    fired: list[str] = []
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), rng.uniform(*FAULT_EVERY_S))
        except TimeoutError:
            kind = rng.choice(FAULTS)
            gw.inject(kind)  # type: ignore[arg-type]
            fired.append(kind)
    return fired


async def _read(redis: Redis, key: str, lat: list[tuple[float, int]]) -> list[np.ndarray]:
    parts = []
    async for batch in LiveStreamSource(redis, key, block_ms=200):
        if len(batch):
            lat.append(((time.time_ns() - batch.extra["t_rx"]) / 1e6, len(batch)))
            parts.append(batch.records)
    return parts


def _loss_and_dupes(got: np.ndarray, expected: np.ndarray) -> tuple[int, int]:
    if got.shape == expected.shape and np.array_equal(got, expected):
        return 0, 0
    have = collections.Counter(got[i].tobytes() for i in range(got.shape[0]))
    want = collections.Counter(expected[i].tobytes() for i in range(expected.shape[0]))
    lost = sum(max(0, c - have[k]) for k, c in want.items())
    return lost, sum(max(0, c - want[k]) for k, c in have.items())


def _weighted_pct(lat: list[tuple[float, int]], q: float) -> float:
    values = np.repeat([v for v, _ in lat], [n for _, n in lat])
    return float(np.percentile(values, q)) if values.size else 0.0


def _script(inst: Any) -> MarketScript:
    """The synthetic session, cached under var/bench/cache/ (generation is the slow part)."""
    cache = OUT / "cache" / f"ingestion-{MINUTES}-{EVENTS_PER_S}.npy"
    script = None
    if cache.is_file():
        script = synthetic_script(inst, day=date(2026, 11, 2), minutes=0.01, seed=3)
        script.records = np.load(cache)
        return script
    script = synthetic_script(
        inst, day=date(2026, 11, 2), minutes=MINUTES, seed=3, events_per_second=EVENTS_PER_S
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, script.records)
    return script


async def soak() -> dict[str, Any]:
    """Run the soak; returns the figures."""
    inst = load_instrument(REPO / "configs/instruments/ESZ6.yaml")
    t0 = time.perf_counter()
    script = _script(inst)
    gen_s = time.perf_counter() - t0
    redis = Redis.from_url(os.environ.get("QM_REDIS_URL", "redis://127.0.0.1:6379/0"))
    key = stream_key(f"bench-{uuid.uuid4().hex[:8]}", "soak")
    gw = SimGateway(script, keys=[KEY], rate=RATE)
    port = await gw.start()
    cfg = GatewayConfig(
        key=KEY,
        port=port,
        heartbeat_interval_s=1,
        watchdog_margin_s=1.0,
        backoff_base_s=0.05,
        backoff_max_s=1.0,
        max_attempts=20,
        success_threshold_s=2.0,
    )
    sup = LiveSupervisor(
        SessionSpec("soak", script.dataset, "ES.c.0", start_ns=0),
        cfg,
        StreamWriter(redis, key, session_id="soak", dataset=script.dataset),
    )
    lat: list[tuple[float, int]] = []
    done = asyncio.Event()
    reader = asyncio.create_task(_read(redis, key, lat))
    faults = asyncio.create_task(_faults(gw, done, random.Random(11)))
    started = time.perf_counter()
    runner = asyncio.create_task(sup.run())
    n = len(script)
    while sup.counters.records < n and time.perf_counter() - started < TIME_LIMIT_S:
        if runner.done():
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    done.set()
    sup.request_stop()
    status = await runner
    parts = await reader
    fired = await faults
    await gw.close()
    await redis.delete(key)
    await redis.aclose()
    got = np.concatenate(parts) if parts else script.records[:0]
    lost, dupes = _loss_and_dupes(got, script.expected("ES.c.0", 0))
    c = sup.counters
    return {
        "records_scripted": n,
        "records_delivered": int(got.shape[0]),
        "records_lost": lost,
        "records_duplicated": dupes,
        "status": status,
        "reconnects": c.reconnects,
        "gaps_filled": c.gaps_filled,
        "duplicates_dropped_at_resume": c.duplicates_dropped,
        "faults_injected": dict(collections.Counter(fired)),
        "latency_ms_p50": round(_weighted_pct(lat, 50), 3),
        "latency_ms_p99": round(_weighted_pct(lat, 99), 3),
        "elapsed_s": round(elapsed, 2),
        "records_per_s": round(got.shape[0] / elapsed),
        "gateway_rate_records_per_s": RATE,
        "script_generation_s": round(gen_s, 2),
        "latency_definition": "databento callback receipt -> envelope batch read from Redis",
    }


def main() -> int:
    """Run the soak, write var/bench/ingestion.json; non-zero when anything was lost/duplicated."""
    result = asyncio.run(soak())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingestion.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    ok = result["records_lost"] == 0 and result["records_duplicated"] == 0
    return 0 if ok and result["records_delivered"] >= 1_000_000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
