"""A version whose pipeline is live streams from an ingestion session's market stream.

The session's records are written to a real Redis stream with ingestion's writer
(qm_events.market_stream); which stream belongs to the workspace's session is ingestion's
answer, given here by a static lookup (the ingestion API itself is tested in its service).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import websockets
from websockets.asyncio.client import connect

from qm_events.market_stream import StreamWriter, stream_key
from qm_market.dbn_file import read_all
from qm_market.envelope import Cursor
from qm_serving.compute.frames import header_text
from qm_serving.stream.plan import computer_factory, engine_params
from qm_specs import PublishedServingSpec

CONFIGS = Path(__file__).resolve().parents[4] / "configs"
RECORDED = "qmdemo_session.dbn"
WIDTH = 100_000_000
LIVE = {"kind": "live", "symbol": "QMDEMO"}


class StaticStreams:
    """Ingestion's lookup, as a table: (workspace, symbol) -> stream key."""

    def __init__(self) -> None:
        self.keys: dict[tuple[uuid.UUID, str], str] = {}

    async def stream_key(self, workspace_id: uuid.UUID, symbol: str, dataset: str) -> str | None:
        return self.keys.get((workspace_id, symbol))


@pytest.fixture
def streams(live: Any) -> StaticStreams:
    table = StaticStreams()
    original = live.app.state.live_feeds.streams
    live.app.state.live_feeds.streams = table
    yield table
    live.app.state.live_feeds.streams = original


class Session:
    """An ingestion session's market stream, written with ingestion's writer."""

    def __init__(self, redis: Any, name: str) -> None:
        self.redis, self.seq = redis, 0
        self.key = stream_key(f"test-{uuid.uuid4().hex[:8]}", name)
        self.writer = StreamWriter(redis, self.key, session_id=name, dataset="GLBX.MDP3")

    async def write(self, records: np.ndarray) -> None:
        iid = int(records["instrument_id"][0])
        for part in np.array_split(records, max(1, len(records) // 400)):
            self.seq += len(part)
            cursor = Cursor(int(part["ts_event"][-1]), 0)
            await self.writer.publish(
                part,
                symbols={iid: "QMDEMO"},
                cursors={iid: cursor},
                current=iid,
                seq=self.seq,
                t_rx=0,
            )

    async def watch(
        self, live: Any, ws: uuid.UUID, rest: Callable[[], Awaitable[None]]
    ) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
        """Open the stream of alias `live`, then publish `rest` and the end; every bin sent."""
        got: list[tuple[dict[str, Any], bytes]] = []
        try:
            async with connect(
                f"{live.ws_url}?serving=live", additional_headers=live.headers("alice", ws)
            ) as sock:
                config = json.loads(await sock.recv())
                assert config["type"] == "runtime_config", config
                await rest()
                await self.writer.end("stopped", cursors={}, current=None, seq=self.seq)
                with contextlib.suppress(websockets.ConnectionClosed):
                    while (header := json.loads(await sock.recv()))["type"] != "end":
                        got.append((header, await sock.recv()))
                    assert header["reason"] == "live session ended"
        finally:
            await self.redis.delete(self.key)
        return config["session"], got


async def test_live_version_catches_up_then_streams_new_bins_identical_to_replay(
    live: Any, publish: Callable[..., Any], streams: StaticStreams, data_root: Path
) -> None:
    ws = live.workspace(alice="editor")
    serving_id = await publish(ws, "alice", alias="live", source=LIVE)
    records = read_all(data_root / RECORDED)
    session_stream = Session(live.app.state.redis, "s-live")
    half = len(records) // 2
    await session_stream.write(records[:half])
    streams.keys[(ws, "QMDEMO")] = session_stream.key
    session, got = await session_stream.watch(
        live, ws, lambda: session_stream.write(records[half:])
    )
    assert session["source"] == "live"
    live_from = int(session["live_from_ns"])
    assert live_from == int(records["ts_event"][half - 1])
    assert got, "no live bins arrived"
    seqs = [h["bin_seq"] for h, _ in got]
    assert seqs == sorted(set(seqs))
    # catch-up bins are computed but not sent: every bin sent ends after the live edge
    assert all(int(h["bin_end_ns"]) > live_from for h, _ in got)
    # the same records through the same kernels offline give byte-identical frames
    spec = PublishedServingSpec.model_validate(
        (
            await live.http.get(
                f"/v1/serving/versions/{serving_id}", headers=live.headers("alice", ws)
            )
        ).json()["spec"]
    )
    snap = spec.runtime_snapshot
    start = int(session["start_ns"])
    assert start % (engine_params(snap).cell_width_ms * 1_000_000) == 0
    offline = computer_factory(snap, start, None)()
    reference = {b.bin_seq: b.frame for b in offline.push(records)}
    assert all(reference[h["bin_seq"]] == frame for h, frame in got)


async def test_live_version_without_a_running_session_is_refused_clearly(
    live: Any, publish: Callable[..., Any], streams: StaticStreams
) -> None:
    ws = live.workspace(alice="editor")
    await publish(ws, "alice", alias="live", source=LIVE)
    async with connect(
        f"{live.ws_url}?serving=live", additional_headers=live.headers("alice", ws)
    ) as sock:
        message = json.loads(await sock.recv())
        with pytest.raises(websockets.ConnectionClosed):
            await sock.recv()
    assert message["type"] == "error"
    assert "no live session of QMDEMO" in message["message"]
    assert sock.close_code == 1008


async def test_a_roll_starts_a_fresh_book_at_the_next_bin_and_no_bin_mixes_contracts(
    live: Any, publish: Callable[..., Any], streams: StaticStreams, data_root: Path
) -> None:
    ws = live.workspace(alice="editor")
    serving_id = await publish(ws, "alice", alias="live", source=LIVE)
    front = read_all(data_root / RECORDED)
    # the next contract: the same flow 25 ticks higher, starting 1 ns after the front's last
    # record (inside the front's open bin), under another instrument id
    back = front.copy()
    back["ts_event"] += front["ts_event"][-1] - front["ts_event"][0] + np.uint64(1)
    back["ts_recv"] = back["ts_event"]
    priced = back["price"] != np.iinfo(np.int64).max
    back["price"][priced] += 25 * 250_000_000
    back["instrument_id"] = int(front["instrument_id"][0]) + 1
    session_stream = Session(live.app.state.redis, "s-roll")
    half = len(front) // 2
    await session_stream.write(front[:half])
    streams.keys[(ws, "QMDEMO")] = session_stream.key

    async def rest() -> None:
        await session_stream.write(front[half:])
        a, b = int(front["instrument_id"][0]), int(back["instrument_id"][0])
        await session_stream.writer.roll(
            from_id=a, to_id=b, symbols={b: "QMDEMO"}, cursors={}, seq=session_stream.seq
        )
        await session_stream.write(back)

    session, got = await session_stream.watch(live, ws, rest)
    seqs = [h["bin_seq"] for h, _ in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "bin_seq continues across the roll"
    stored = await live.http.get(
        f"/v1/serving/versions/{serving_id}", headers=live.headers("alice", ws)
    )
    snap = PublishedServingSpec.model_validate(stored.json()["spec"]).runtime_snapshot
    start = int(session["start_ns"])
    open_bin = (int(front["ts_event"][-1]) - start) // WIDTH
    boundary = start + (open_bin + 1) * WIDTH
    # up to the boundary: the front contract alone, its open bin closed at its normal end
    closing = np.zeros(1, dtype=front.dtype)
    closing["ts_event"], closing["action"], closing["side"] = boundary, b"N", b"N"
    ref_front = computer_factory(snap, start, None)()
    before = {x.bin_seq: x for x in ref_front.push(np.concatenate([front, closing]))}
    # after it: a fresh book of the next contract binning from the boundary, seq continuing
    ref_back = computer_factory(snap, boundary, None)()
    after = {x.bin_seq + open_bin + 1: x for x in ref_back.push(back)}
    sent_before = [(h, f) for h, f in got if int(h["bin_end_ns"]) <= boundary]
    sent_after = [(h, f) for h, f in got if int(h["bin_end_ns"]) > boundary]
    assert sent_before
    assert sent_after
    book = ("bin_end_ns", "best_bid_price_int", "best_ask_price_int", "book_valid")
    for sent, reference in ((sent_before, before), (sent_after, after)):
        for header, frame in sent:
            expected = reference[header["bin_seq"]]
            assert frame == expected.frame
            wanted = json.loads(header_text(expected.header, 0))
            assert [header[k] for k in book] == [wanted[k] for k in book]
