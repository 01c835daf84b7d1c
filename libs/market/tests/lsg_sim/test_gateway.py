"""The simulated gateway against the real databento client: auth, replay, snapshot, faults."""

from __future__ import annotations

import time
from typing import Any

import databento as db
import databento_dbn as dbn
import numpy as np
import pytest

from qm_market.envelope import F_LAST, F_SNAPSHOT, MBO_DTYPE
from qm_market.lsg_sim import MarketScript, SimGateway
from qm_market.lsg_sim.protocol import cram_response, parse_line
from qm_market.lsg_sim.snapshot import resting_orders


def _client(gw: SimGateway, key: str) -> db.Live:
    return db.Live(key=key, gateway="127.0.0.1", port=gw.port, heartbeat_interval_s=1)


def _collect(client: db.Live, symbol: str, **kw: Any) -> list[Any]:
    got: list[Any] = []
    client.add_callback(got.append)
    stype = "continuous" if ".c." in symbol else "raw_symbol"
    client.subscribe("GLBX.MDP3", "mbo", [symbol], stype_in=stype, **kw)
    client.start()
    return got


def _mbo(records: list[Any]) -> np.ndarray:
    raw = b"".join(bytes(r)[:56] for r in records if isinstance(r, dbn.MBOMsg))
    return np.frombuffer(raw, dtype=MBO_DTYPE)


def _wait(pred: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_control_lines_and_cram() -> None:
    assert parse_line(b"success=1|session_id=a=b\n") == {"success": "1", "session_id": "a=b"}
    assert cram_response("c", "x" * 27 + "abcde").endswith("-abcde")


def test_full_replay_serves_script_then_replay_completed(
    gateway: SimGateway, script: MarketScript, key: str
) -> None:
    client = _client(gateway, key)
    got = _collect(client, "ES.c.0", start=0)
    expected = script.expected("ES.c.0", 0)
    _wait(lambda: _mbo(got).shape[0] >= expected.shape[0])
    client.stop()
    client.block_for_close(5)
    assert np.array_equal(_mbo(got), expected)
    assert client.symbology_map == {42140878: "ESZ6"}
    codes = [r.code for r in got if isinstance(r, dbn.SystemMsg)]
    assert dbn.SystemCode.SUBSCRIPTION_ACK in codes
    assert dbn.SystemCode.REPLAY_COMPLETED in codes
    _wait(lambda: gateway.connections[-1].closed)  # the server sees the close a moment later


def test_wrong_key_and_bad_dataset_are_rejected(gateway: SimGateway, key: str) -> None:
    with pytest.raises(db.BentoError, match="Authentication failed"):
        _client(gateway, "db-" + "z" * 29).subscribe("GLBX.MDP3", "mbo", ["ESZ6"])
    with pytest.raises(db.BentoError, match="Unknown dataset"):
        _client(gateway, key).subscribe("XNAS.ITCH", "mbo", ["ESZ6"])
    assert [c.rejected for c in gateway.connections] == [
        "Authentication failed.",
        "Unknown dataset: XNAS.ITCH",
    ]


def test_unknown_symbol_gets_resolution_error(gateway: SimGateway, key: str) -> None:
    client = _client(gateway, key)
    got = _collect(client, "NOPE")
    _wait(lambda: any(isinstance(r, dbn.ErrorMsg) for r in got))
    client.stop()
    with pytest.raises(db.BentoError, match="Failed to resolve symbol: NOPE"):
        client.block_for_close(5)
    err = next(r for r in got if isinstance(r, dbn.ErrorMsg))
    assert err.code == dbn.ErrorCode.SYMBOL_RESOLUTION_FAILED
    assert "NOPE" in err.err


def test_intraday_replay_filters_on_ts_event(
    gateway: SimGateway, script: MarketScript, key: str
) -> None:
    start = int(script.records["ts_event"][len(script) // 2])
    client = _client(gateway, key)
    got = _collect(client, "ESZ6", start=start)
    expected = script.expected("ESZ6", start)
    _wait(lambda: _mbo(got).shape[0] >= expected.shape[0])
    client.stop()
    client.block_for_close(5)
    assert np.array_equal(_mbo(got), expected)


def test_snapshot_rebuilds_the_resting_book(script: MarketScript, key: str) -> None:
    gw = SimGateway(script, keys=[key], rate=4000)
    gw.start_in_thread()
    try:
        time.sleep(0.5)
        client = _client(gw, key)
        got = _collect(client, "ESZ6", snapshot=True)
        _wait(lambda: gw.connections and gw.connections[-1].chunks)
        client.stop()
        client.block_for_close(5)
    finally:
        gw.stop_thread()
    recs = _mbo(got)
    snap = recs[(recs["flags"] & F_SNAPSHOT) != 0]
    assert snap[0]["action"] == b"R"
    assert snap[-1]["flags"] & F_LAST
    first_live = int(gw.connections[-1].served()[0])
    book = resting_orders(script.records[:first_live])
    assert snap.shape[0] == 1 + len(book)
    assert set(snap["order_id"][1:].tolist()) == set(book)


@pytest.mark.parametrize("kind", ["close", "reset", "error"])
def test_faults_end_the_connection_at_the_scheduled_record(
    gateway: SimGateway, script: MarketScript, key: str, kind: Any
) -> None:
    at = len(script) // 3
    gateway.inject(kind, at_record=at)
    client = _client(gateway, key)
    got = _collect(client, "ESZ6", start=0)
    if kind == "close":
        client.block_for_close(10)
    else:
        with pytest.raises(db.BentoError):
            client.block_for_close(10)
    served = gateway.connections[-1].served()
    assert np.array_equal(served, np.arange(at))
    received = _mbo(got)
    # a reset may discard bytes still in the client's receive buffer: a prefix arrives
    exact = kind != "reset"
    assert received.shape[0] == at if exact else received.shape[0] <= at
    assert np.array_equal(received, script.records[: received.shape[0]])
    assert gateway.connections[-1].faults == [kind]


def test_silence_trips_the_clients_heartbeat_watchdog(
    gateway: SimGateway, script: MarketScript, key: str
) -> None:
    gateway.inject("silence", at_record=10)
    client = _client(gateway, key)
    got = _collect(client, "ESZ6", start=0)
    with pytest.raises(db.BentoError):
        client.block_for_close(20)
    assert _mbo(got).shape[0] == 10
    assert not any(
        isinstance(r, dbn.SystemMsg) and r.code == dbn.SystemCode.HEARTBEAT for r in got[-1:]
    )


def test_roll_remaps_the_continuous_symbol(rolling: MarketScript, key: str) -> None:
    gw = SimGateway(rolling, keys=[key], rate=50_000)
    gw.start_in_thread()
    try:
        client = _client(gw, key)
        got = _collect(client, "ES.c.0", start=0)
        expected = rolling.expected("ES.c.0", 0)
        _wait(lambda: _mbo(got).shape[0] >= expected.shape[0])
        client.stop()
        client.block_for_close(5)
    finally:
        gw.stop_thread()
    maps = [
        (r.stype_out_symbol, r.instrument_id) for r in got if isinstance(r, dbn.SymbolMappingMsg)
    ]
    assert maps == [("ESZ6", 42140878), ("ESH7", 42140999)]
    assert np.array_equal(_mbo(got), expected)
    first_back = int(np.flatnonzero(_mbo(got)["instrument_id"] == 42140999)[0])
    mapping_pos = next(
        i
        for i, r in enumerate(got)
        if isinstance(r, dbn.SymbolMappingMsg) and r.instrument_id == 42140999
    )
    mbo_before = sum(isinstance(r, dbn.MBOMsg) for r in got[:mapping_pos])
    assert mbo_before == first_back


def test_control_commands_queue_faults_and_report(gateway: SimGateway) -> None:
    from qm_market.lsg_sim.control import command

    assert command(gateway, "fault reset 5") == "ok"
    assert command(gateway, "fault nope").startswith("error:")
    assert gateway.faults.next_boundary() == 5
    assert '"records"' in command(gateway, "status")
