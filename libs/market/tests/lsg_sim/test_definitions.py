"""The simulated gateway serves `definition` for a product (stype parent) like the real one."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import databento as db
import databento_dbn as dbn

from qm_market.lsg_sim import MarketScript, SimGateway


def _collect(key: str, port: int, symbols: list[str], start: int | None) -> list[Any]:
    client = db.Live(key=key, gateway="127.0.0.1", port=port)
    got: list[Any] = []
    client.add_callback(got.append)
    client.subscribe(
        dataset="GLBX.MDP3", schema="definition", symbols=symbols, stype_in="parent", start=start
    )
    client.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        isinstance(r, dbn.SystemMsg) and r.code == dbn.SystemCode.REPLAY_COMPLETED for r in got
    ):
        time.sleep(0.02)
    client.stop()
    with contextlib.suppress(db.BentoError):  # a gateway error surfaces at close
        client.block_for_close(5)
    return got


def test_parent_definitions_then_replay_completed(
    listed_gateway: SimGateway, listed: MarketScript, key: str
) -> None:
    got = _collect(key, listed_gateway.port, ["ES.FUT"], start=0)
    kinds = [type(r).__name__ for r in got]
    assert kinds == [
        "SystemMsg",  # subscription ack
        "SymbolMappingMsg",
        "SymbolMappingMsg",
        "InstrumentDefMsg",
        "InstrumentDefMsg",
        "SystemMsg",  # replay completed
    ]
    maps = [(r.stype_in_symbol, r.stype_out_symbol, r.instrument_id) for r in got[1:3]]
    assert maps == [("ES.FUT", "ESZ6", 42140878), ("ES.FUT", "ESH7", 42140999)]
    defs = got[3:5]
    assert [d.raw_symbol for d in defs] == ["ESZ6", "ESH7"]
    assert [d.instrument_id for d in defs] == [42140878, 42140999]
    assert [d.expiration for d in defs] == [
        listed.expirations["ESZ6"],
        listed.expirations["ESH7"],
    ]
    assert {str(d.instrument_class) for d in defs} <= {"F", "InstrumentClass.FUTURE"}
    assert {d.asset for d in defs} == {"ES"}
    assert {d.min_price_increment for d in defs} == {250_000_000}
    assert got[-1].code == dbn.SystemCode.REPLAY_COMPLETED
    assert listed_gateway.connections[-1].definitions == ["ESZ6", "ESH7"]


def test_unknown_product_is_a_resolution_error(listed_gateway: SimGateway, key: str) -> None:
    got = _collect(key, listed_gateway.port, ["NQ.FUT"], start=0)
    errors = [r for r in got if isinstance(r, dbn.ErrorMsg)]
    assert [e.err for e in errors] == ["Failed to resolve symbol: NQ.FUT"]
    assert errors[0].code == dbn.ErrorCode.SYMBOL_RESOLUTION_FAILED
