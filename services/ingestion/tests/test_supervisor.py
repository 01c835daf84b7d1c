"""The supervisor around the real databento client: every fault, exact-once downstream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from qm_events.market_stream import stream_state
from qm_ingestion.runtime.config import GatewayConfig, backoff_delay
from qm_ingestion.runtime.supervisor import State
from qm_market.lsg_sim import MarketScript, SimGateway

Start = Callable[..., Awaitable[Any]]


def _exact(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape, f"{got.shape[0]} delivered, {expected.shape[0]} scripted"
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("kind", ["close", "reset", "silence", "error"])
async def test_each_fault_delivers_the_script_exactly_once(
    gateway: SimGateway, script: MarketScript, start_run: Start, kind: Any
) -> None:
    n = len(script)
    gateway.inject(kind, at_record=n // 3)
    run = await start_run(gateway.port)
    await run.until(lambda: run.sup.counters.records >= n)
    assert await run.stop() == "stopped"
    _exact(await run.records(), script.expected("ES.c.0", 0))
    c = run.sup.counters
    assert c.reconnects == 1
    assert c.gaps_filled == 1
    assert c.gap_records > 0
    expected_reason = {
        "close": "EOF",
        "reset": "reset",
        "silence": "heartbeat timeout",
        "error": "Simulated gateway error",
    }[kind]
    assert expected_reason in (c.last_disconnect or "")
    # the second connection replayed from the cursor: some overlap was dropped as duplicates
    assert gateway.connections[1].subscriptions[0]["start"] != "0"
    assert c.duplicates_dropped >= 1 or kind == "reset"


async def test_repeated_faults_and_slow_reading(
    gateway: SimGateway, script: MarketScript, start_run: Start
) -> None:
    n = len(script)
    for i, kind in enumerate(["slow", "reset", "close", "error", "reset"]):
        gateway.inject(kind, at_record=(i + 1) * n // 7)
    run = await start_run(gateway.port)
    await run.until(lambda: run.sup.counters.records >= n)
    await run.stop()
    _exact(await run.records(), script.expected("ES.c.0", 0))
    assert run.sup.counters.reconnects == 4


async def test_stop_closes_socket_ends_stream_and_leaves_no_task(
    paused_gateway: SimGateway, start_run: Start
) -> None:
    before = {t for t in asyncio.all_tasks() if not t.done()}
    gateway = paused_gateway
    run = await start_run(gateway.port, start_ns=None)
    await run.until(lambda: bool(gateway.connections) and gateway.connections[-1].started)
    gateway.play()
    await run.until(lambda: run.sup.counters.records > 100)
    assert await run.stop() == "stopped"
    await run.until(lambda: gateway.connections[-1].closed)
    state = await stream_state(run.redis, run.key)
    assert state is not None
    assert state.ended
    assert state.seq == run.sup.counters.records
    left = {t for t in asyncio.all_tasks() if not t.done()} - before - {asyncio.current_task()}
    assert not [t for t in left if "lsg" not in repr(t.get_coro())]
    assert run.hooks.checkpoints[-1][2] == run.sup.counters.records


async def test_resume_from_state_continues_exactly(
    gateway: SimGateway, script: MarketScript, start_run: Start
) -> None:
    first = await start_run(gateway.port, session_id="r1")
    await first.until(lambda: first.sup.counters.records > len(script) // 2)
    first.sup.request_detach()
    assert await asyncio.wait_for(first.task, 10) == "detached"
    state = await stream_state(first.redis, first.key)
    assert state is not None
    assert not state.ended
    resumed = State(state.cursors, state.current, state.seq)
    second = await start_run(gateway.port, session_id="r1", state=resumed)
    await second.until(lambda: second.sup.intake.seq >= len(script))
    await second.stop()
    _exact(await second.records(), script.expected("ES.c.0", 0))
    assert gateway.connections[-1].subscriptions[0]["start"] == str(
        state.cursors[state.current].ts_event if state.current else 0
    )


async def test_roll_switches_contract_between_batches(
    rolling_gateway: SimGateway, rolling: MarketScript, start_run: Start
) -> None:
    n = len(rolling)
    rolling_gateway.inject("reset", at_record=3 * n // 4)
    run = await start_run(rolling_gateway.port)
    await run.until(lambda: run.sup.counters.records >= n)
    await run.stop()
    batches = await run.batches()
    _exact(np.concatenate([b.records for b in batches]), rolling.expected("ES.c.0", 0))
    marks = [i for i, b in enumerate(batches) if b.extra.get("roll")]
    assert len(marks) == 1
    roll = batches[marks[0]]
    assert (roll.extra["from_instrument"], roll.extra["to_instrument"]) == (42140878, 42140999)
    before = np.concatenate([b.records for b in batches[: marks[0]]])
    after = np.concatenate([b.records for b in batches[marks[0] + 1 :]])
    assert set(before["instrument_id"].tolist()) == {42140878}
    assert set(after["instrument_id"].tolist()) == {42140999}
    assert after[0]["action"] == b"R"  # the new contract starts from a cleared book
    assert [r[:2] for r in run.hooks.rolls] == [("ESZ6", "ESH7")]
    assert run.sup.counters.rolls == 1
    assert run.sup.counters.reconnects == 1


@pytest.mark.parametrize(
    ("key", "dataset", "symbol", "reason"),
    [
        ("db-" + "w" * 29, "GLBX.MDP3", "ES.c.0", "Authentication failed"),
        (None, "XNAS.ITCH", "ES.c.0", "Unknown dataset"),
        (None, "GLBX.MDP3", "ZZZ9", "Failed to resolve symbol: ZZZ9"),
    ],
)
async def test_refusals_fail_the_session_with_the_gateways_reason(
    gateway: SimGateway,
    start_run: Start,
    key: str | None,
    dataset: str,
    symbol: str,
    reason: str,
) -> None:
    extra = {"key": key} if key else {}
    run = await start_run(gateway.port, symbol, dataset=dataset, **extra)
    assert await asyncio.wait_for(run.task, 15) == "failed"
    assert reason in (run.sup.reason or "")
    assert run.sup.counters.reconnects == 0


async def test_unreachable_gateway_fails_after_bounded_attempts(start_run: Start) -> None:
    run = await start_run(1, max_attempts=3, backoff_base_s=0.01)
    assert await asyncio.wait_for(run.task, 15) == "failed"
    assert "gave up after 3 attempts" in (run.sup.reason or "")
    assert run.sup.counters.reconnects == 3


def test_backoff_is_exponential_bounded_and_jittered() -> None:
    cfg = GatewayConfig(key="k", backoff_base_s=0.5, backoff_max_s=4.0, backoff_jitter=0.5)
    assert [backoff_delay(cfg, a, 0.0) for a in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert backoff_delay(cfg, 3, 0.999) == pytest.approx(1.001)


async def test_live_from_head_with_a_fault_is_gapless(
    paused_gateway: SimGateway, script: MarketScript, start_run: Start
) -> None:
    gw, n = paused_gateway, len(script)
    gw.inject("reset", at_record=n // 2)
    run = await start_run(gw.port, start_ns=None)
    await run.until(lambda: any(c.started for c in gw.connections))
    gw.play()
    await run.until(lambda: run.sup.intake.seq >= n)
    await run.stop()
    first = int(gw.connections[0].served()[0])
    _exact(await run.records(), script.expected("ES.c.0")[first:])
    assert run.sup.counters.reconnects == 1
