"""Stream contract over a real socket: order, schema, train/serve gold parity, sharing, access."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pyarrow as pa
import pytest
import websockets
from websockets.asyncio.client import connect

from qm_db.engine import plain_url
from qm_engine.dataset import build_dataset
from qm_market.instruments import Instrument
from qm_serving.compute.frames import ARROW_TYPES, decode_frame
from qm_serving.stream.plan import engine_params
from qm_serving.stream.sources import session_window
from qm_specs import PublishedServingSpec

RECORDED = "qmdemo_session.dbn"


async def _read_all(ws: Any) -> list[Any]:
    messages = []
    try:
        async for message in ws:
            messages.append(message if isinstance(message, bytes) else json.loads(message))
    except websockets.ConnectionClosedError:
        pass
    return messages


def _pairs(messages: list[Any]) -> list[tuple[dict[str, Any], pa.Table]]:
    """Check the order (header, frame, header, frame, ...) and pair them up."""
    body = messages[1:-1]
    assert all(isinstance(h, dict) and h["type"] == "grid_update" for h in body[0::2])
    assert all(isinstance(f, bytes) for f in body[1::2])
    return [(h, decode_frame(f)) for h, f in zip(body[0::2], body[1::2], strict=True)]


def _offline_gold(spec: PublishedServingSpec, data_root: Path, lake: Path) -> pa.Table:
    """The gold dataset of the same recorded session, built with the engine's dataset API."""
    snap = spec.runtime_snapshot
    start_ns, end_ns = session_window(snap, minutes=0.25)
    instrument = Instrument.model_validate(
        snap.instrument.model_dump(mode="json", exclude={"spec_version"})
    )
    ref = build_dataset(
        source=data_root / RECORDED,
        instrument=instrument,
        start_ns=start_ns,
        end_ns=end_ns,
        lake=lake,
        params=engine_params(snap),
    )
    return ref.table("gold").sort_by([("bin_seq", "ascending"), ("k", "ascending")])


async def test_stream_contract_and_gold_parity_with_the_offline_dataset(
    live, publish, data_root, tmp_path
):
    ws = live.workspace(alice="editor")
    serving_id = await publish(ws, "alice", alias="recorded", recorded=True)
    async with connect(
        f"{live.ws_url}?serving=recorded", additional_headers=live.headers("alice", ws)
    ) as sock:
        messages = await _read_all(sock)
    config, end = messages[0], messages[-1]
    assert config["type"] == "runtime_config"
    assert config["serving_id"] == serving_id
    assert end == {"type": "end", "reason": "replay finished"}
    pairs = _pairs(messages)
    seqs = [int(h["bin_seq"]) for h, _ in pairs]
    assert seqs == list(range(len(seqs)))
    assert len(seqs) == 150
    declared = pa.schema(
        [
            pa.field(f["name"], ARROW_TYPES[f["dtype"]], nullable=False)
            for f in config["grid_schema_fields"]
        ]
    )
    assert all(table.schema.equals(declared) for _, table in pairs)
    assert all(h["dropped_since_last"] == 0 for h, _ in pairs)
    assert all(
        isinstance(h["ts_ns"], str) and isinstance(h["best_bid_price_int"], str) for h, _ in pairs
    )
    spec = PublishedServingSpec.model_validate(
        (
            await live.http.get(
                f"/v1/serving/versions/{serving_id}", headers=live.headers("alice", ws)
            )
        ).json()["spec"]
    )
    offline = _offline_gold(spec, data_root, tmp_path)
    rows = config["grid_rows"]
    assert offline.column("bin_seq").to_pylist()[::rows] == seqs
    gold_in_frames = [f["name"] for f in config["grid_schema_fields"] if f["stage"] == "gold"]
    assert set(gold_in_frames) == {
        "pressure_variant",
        "vacuum_variant",
        "composite",
        "flow_score",
        "flow_state_code",
        "state5_code",
    }
    for name in gold_in_frames:
        streamed = np.concatenate([t.column(name).to_numpy() for _, t in pairs])
        expected = offline.column(name).to_numpy()
        assert streamed.dtype == expected.dtype, name
        assert streamed.tobytes() == expected.tobytes(), name
    assert np.any(np.stack([t.column("composite").to_numpy() for _, t in pairs]) != 0)


async def test_two_subscribers_of_one_alias_share_one_producer(live, publish):
    ws = live.workspace(alice="editor", vera="viewer")
    await publish(ws, "alice")
    url = f"{live.ws_url}?serving=demo"
    async with (
        connect(url, additional_headers=live.headers("alice", ws)) as a,
        connect(url, additional_headers=live.headers("vera", ws)) as b,
    ):
        config_a, config_b = json.loads(await a.recv()), json.loads(await b.recv())
        assert config_a == config_b
        assert len(live.app.state.hub.producers) == 1
        producer = next(iter(live.app.state.hub.producers.values()))
        assert len(producer.subscribers) == 2
        frames_a = {json.loads(await a.recv())["bin_seq"]: await a.recv() for _ in range(5)}
        frames_b = {json.loads(await b.recv())["bin_seq"]: await b.recv() for _ in range(5)}
        # one producer: the bins both received are byte-identical frames
        common = frames_a.keys() & frames_b.keys()
        assert common
        assert all(frames_a[s] == frames_b[s] for s in common)
    for _ in range(50):
        if not live.app.state.hub.producers:
            break
        await asyncio.sleep(0.05)
    assert live.app.state.hub.producers == {}


async def _refusal(url: str, headers: dict[str, str] | None = None) -> tuple[dict[str, Any], int]:
    async with connect(url, additional_headers=headers or {}) as sock:
        message = json.loads(await sock.recv())
        with pytest.raises(websockets.ConnectionClosed):
            await sock.recv()
        assert sock.close_code is not None
        return message, sock.close_code


async def test_bad_selectors_and_parameters_close_with_1008(live, publish):
    ws = live.workspace(alice="editor")
    await publish(ws, "alice")
    headers = live.headers("alice", ws)
    for query in ("serving=nope", "serving=demo&speed=2", "", "serving=Bad%20Name"):
        message, code = await _refusal(f"{live.ws_url}?{query}", headers)
        assert message["type"] == "error"
        assert message["message"]
        assert code == 1008, query
    message, code = await _refusal(f"{live.ws_url}?serving=demo")
    assert code == 1008
    assert "unauthorized" in message["message"]


async def test_viewer_watches_with_a_stream_token_bound_to_one_selector(live, publish):
    ws = live.workspace(alice="editor", vera="viewer")
    await publish(ws, "alice")
    minted = await live.http.post(
        "/v1/stream/tokens", json={"serving": "demo"}, headers=live.headers("vera", ws)
    )
    assert minted.status_code == 200, minted.text
    url = minted.json()["url"]
    async with connect(live.ws_url.removesuffix("/v1/stream") + url) as sock:
        assert json.loads(await sock.recv())["type"] == "runtime_config"
        assert json.loads(await sock.recv())["type"] == "grid_update"
    token = minted.json()["token"]
    message, code = await _refusal(f"{live.ws_url}?serving=other&token={token}")
    assert code == 1008
    assert "another selector" in message["message"]
    activate = await live.http.post(
        "/v1/serving/aliases/demo/rollback",
        json={"reason": "viewer tries"},
        headers=live.headers("vera", ws),
    )
    assert activate.status_code == 403


async def test_another_workspace_alias_is_not_found_on_the_stream(live, publish):
    ws_a, ws_b = live.workspace(alice="editor"), live.workspace(bob="owner")
    await publish(ws_a, "alice")
    minted = await live.http.post(
        "/v1/stream/tokens", json={"serving": "demo"}, headers=live.headers("bob", ws_b)
    )
    assert minted.status_code == 404
    message, code = await _refusal(f"{live.ws_url}?serving=demo", live.headers("bob", ws_b))
    assert code == 1008
    assert "not_found" in message["message"]
    message, code = await _refusal(f"{live.ws_url}?serving=demo", live.headers("bob", ws_a))
    assert code == 1008
    assert "not_found" in message["message"]


async def test_max_streams_quota_refuses_the_extra_stream(live, publish):
    ws = live.workspace(alice="editor")
    await publish(ws, "alice")
    live.limits.per_workspace[ws] = {"max_streams": 1}
    url = f"{live.ws_url}?serving=demo"
    async with connect(url, additional_headers=live.headers("alice", ws)) as first:
        assert json.loads(await first.recv())["type"] == "runtime_config"
        assert await live.app.state.leases.count(ws) == 1
        message, code = await _refusal(url, live.headers("alice", ws))
        assert code == 1008
        assert "max_streams" in message["message"]
    # the lease goes back when the stream ends: the next stream may start
    for _ in range(100):
        if await live.app.state.leases.count(ws) == 0:
            break
        await asyncio.sleep(0.02)
    async with connect(url, additional_headers=live.headers("alice", ws)) as again:
        assert json.loads(await again.recv())["type"] == "runtime_config"


async def test_a_tampered_version_refuses_to_stream(live, publish, stream_db):
    ws = live.workspace(alice="editor")
    serving_id = await publish(ws, "alice", alias="tampered")
    conn = await asyncpg.connect(plain_url(stream_db))
    try:
        await conn.execute("SET session_replication_role = replica")
        status = await conn.execute(
            "UPDATE serving.serving_version SET spec_json = replace(spec_json, "
            "'\"flow_tanh_scale\":3', '\"flow_tanh_scale\":9') WHERE serving_id = $1 "
            "AND workspace_id = $2 AND spec_json LIKE '%\"flow_tanh_scale\":3,%'",
            serving_id,
            ws,
        )
        assert status == "UPDATE 1"
    finally:
        await conn.close()
    message, code = await _refusal(f"{live.ws_url}?serving=tampered", live.headers("alice", ws))
    assert code == 1011
    assert "does not match its SHA-256" in message["message"]
