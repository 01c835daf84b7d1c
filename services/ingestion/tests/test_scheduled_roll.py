"""Scheduled rolls ("N days before expiry") decided from the gateway's definitions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import databento_dbn as dbn

from qm_events.market_stream import stream_state
from qm_ingestion.runtime.schedule import Definitions, ScheduledRoll, contracts_from
from qm_ingestion.runtime.supervisor import State
from qm_market.instruments import load_instrument
from qm_market.lsg_sim import MarketScript, SimGateway

Start = Callable[..., Awaitable[Any]]
ROOT = Path(__file__).resolve().parents[3]
KEY = "db-" + "t" * 24 + "qmsim"
FRONT = 42140878
POLICY = ScheduledRoll("es_days_before_expiry", days_before_expiry=8, roll_time="17:00")


def test_roll_instant_is_n_days_before_expiry_at_roll_time() -> None:
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    expiry = inst.et_to_ns(date(2026, 12, 18), "09:30")
    assert POLICY.roll_instant(expiry) == inst.et_to_ns(date(2026, 12, 10), "17:00")
    # the wall clock is kept across the DST change (EST on 03-11, EDT from 03-14 to 03-19)
    march = inst.et_to_ns(date(2027, 3, 19), "09:30")
    assert POLICY.roll_instant(march) == inst.et_to_ns(date(2027, 3, 11), "17:00")


async def test_days_before_expiry_rolls_at_the_instant_exactly_once(
    listed_gateway: SimGateway,
    listed: MarketScript,
    start_run: Start,
    check_scheduled_delivery: Any,
) -> None:
    gw, n = listed_gateway, len(listed)
    gw.inject("reset", at_record=9 * n // 10)  # after the roll, on the back contract
    run = await start_run(gw.port, roll=POLICY)
    last = int(listed.selection("ESH7")[-1])
    await run.until(
        lambda: any(int(i) == last for c in gw.connections for i in c.served()[-1:]), 40
    )
    await asyncio.sleep(0.3)
    assert await run.stop() == "stopped"
    check_scheduled_delivery(await run.batches(), listed, gw)
    # definitions first (parent ES.FUT from the origin), then MBO by raw symbol
    defs = gw.connections[0].subscriptions[0]
    assert (defs["schema"], defs["stype_in"], defs["symbols"]) == ("definition", "parent", "ES.FUT")
    mbo = [c.subscriptions[0] for c in gw.connections[1:]]
    assert [(s["symbols"], s["stype_in"]) for s in mbo] == [
        ("ESZ6", "raw_symbol"),
        ("ESH7", "raw_symbol"),
        ("ESH7", "raw_symbol"),
    ]
    assert mbo[0]["start"] == "0"
    assert (mbo[1].get("start"), mbo[1]["snapshot"]) == (None, "1")  # the new book
    assert mbo[2]["start"] != "0"  # the resume replays the back contract from its cursor
    assert mbo[2]["snapshot"] == "0"
    c = run.sup.counters
    assert (c.rolls, c.reconnects, c.gaps_filled) == (1, 1, 1)
    reason = "days_before_expiry: 8 days before ESZ6 expiry 2026-12-18 (es_days_before_expiry)"
    assert run.hooks.rolls == [("ESZ6", "ESH7", reason)]


async def test_restart_mid_front_contract_redecides_the_same_contract(
    listed: MarketScript, start_run: Start, check_scheduled_delivery: Any
) -> None:
    gw = SimGateway(listed, keys=[KEY], rate=1_500)
    await gw.start()
    try:
        first = await start_run(gw.port, roll=POLICY, session_id="sr1")
        await first.until(lambda: 0 < first.sup.counters.records < len(listed) // 3)
        first.sup.request_detach()
        assert await asyncio.wait_for(first.task, 10) == "detached"
        state = await stream_state(first.redis, first.key)
        assert state is not None
        assert state.current == FRONT
        resumed = State(state.cursors, state.current, state.seq)
        second = await start_run(gw.port, roll=POLICY, session_id="sr1", state=resumed)
        last = int(listed.selection("ESH7")[-1])
        await second.until(
            lambda: any(int(i) == last for c in gw.connections for i in c.served()[-1:]), 40
        )
        await asyncio.sleep(0.3)
        await second.stop()
        check_scheduled_delivery(await second.batches(), listed, gw)
        resume = [
            c.subscriptions[0]
            for c in gw.connections
            if str(c.subscriptions[0].get("symbols")) == "ESZ6"
        ][-1]
        assert resume["start"] == str(state.cursors[FRONT].ts_event)
        assert second.sup.counters.rolls == 1
    finally:
        await gw.close()


async def test_live_start_after_the_instant_decides_on_gateway_time(
    listed: MarketScript, start_run: Start
) -> None:
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    instant = inst.et_to_ns(date(2026, 12, 10), "17:00")
    gw = SimGateway(listed, keys=[KEY], rate=4_000)
    await gw.start()
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while gw.now_ns() < instant:  # market time (not the wall clock) passes the instant
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        run = await start_run(gw.port, start_ns=None, snapshot=True, roll=POLICY, session_id="g1")
        await run.until(lambda: run.sup.counters.records > 0)
        await run.stop()
        mbo = [c.subscriptions[0] for c in gw.connections[1:]]
        assert [(s["symbols"], s["snapshot"], s.get("start")) for s in mbo] == [("ESH7", "1", None)]
        assert run.sup.counters.rolls == 0
        recs = await run.records()
        assert set(recs["instrument_id"].tolist()) == {42140999}
        assert recs[0]["action"] == b"R"
    finally:
        await gw.close()


def _definition(iid: int, symbol: str, expiry: int, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "publisher_id": 1,
        "instrument_id": iid,
        "ts_event": kw.pop("ts_event", 1),
        "ts_recv": 1,
        "min_price_increment": 250_000_000,
        "display_factor": 1_000_000_000,
        "raw_symbol": symbol,
        "asset": "ES",
        "security_type": "FUT",
        "instrument_class": dbn.InstrumentClass.FUTURE,
        "security_update_action": dbn.SecurityUpdateAction.ADD,
        "expiration": expiry,
        **kw,
    }
    return dbn.InstrumentDefMsg(**fields)


def test_contracts_are_live_futures_by_expiry_newest_definition_wins() -> None:
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    dec, mar, jun = (
        inst.et_to_ns(d, "09:30")
        for d in (date(2026, 12, 18), date(2027, 3, 19), date(2027, 6, 18))
    )
    records = [
        _definition(3, "ESM7", jun),
        _definition(1, "ESZ6", dec),
        _definition(2, "ESH7", mar),
        _definition(9, "ESZ6-ESH7", mar, instrument_class=dbn.InstrumentClass.FUTURE_SPREAD),
        _definition(3, "ESM7", jun, security_update_action=dbn.SecurityUpdateAction.DELETE),
        _definition(4, "ESU7", 2**64 - 1),
    ]
    contracts = contracts_from(records, POLICY)
    assert [(c.raw_symbol, c.instrument_id) for c in contracts] == [("ESZ6", 1), ("ESH7", 2)]
    defs = Definitions(contracts, market_ns=0)
    before, after = contracts[0].roll_ns - 1, contracts[0].roll_ns
    assert defs.front(before) == contracts[0]
    assert defs.front(after) == contracts[1]  # the roll instant itself belongs to the next
    assert defs.after(contracts[0]) == contracts[1]
    assert defs.after(contracts[1]) is None
