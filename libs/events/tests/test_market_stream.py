"""The market stream's reader side on a real Redis: where a joining feed starts, what it yields."""

from __future__ import annotations

import asyncio

import numpy as np
from redis.asyncio import Redis

from qm_events.market_stream import LiveSessionFeed, StreamWriter, feed_window, stream_key
from qm_market.envelope import F_SNAPSHOT, MBO_DTYPE, Cursor

WIDTH = 100_000_000


def _records(ts: list[int], flags: int = 0) -> np.ndarray:
    rec = np.zeros(len(ts), dtype=MBO_DTYPE)
    rec["ts_event"] = ts
    rec["flags"] = flags
    rec["instrument_id"] = 7
    return rec


async def _publish(writer: StreamWriter, rec: np.ndarray, seq: int) -> None:
    last = int(rec["ts_event"][-1])
    await writer.publish(
        rec, symbols={7: "ESZ6"}, cursors={7: Cursor(last, 0)}, current=7, seq=seq, t_rx=0
    )


async def test_a_joining_feed_starts_at_the_first_flowing_bin_and_knows_the_newest_time(
    qm_redis: Redis, qm_redis_namespace: str
) -> None:
    key = stream_key(qm_redis_namespace.rstrip(":"), "s1")
    assert await feed_window(qm_redis, key) is None
    assert await LiveSessionFeed.open(qm_redis, key, width_ns=WIDTH) is None
    writer = StreamWriter(qm_redis, key, session_id="s1", dataset="GLBX.MDP3")
    # a snapshot of resting orders (their own, older times), then market flow
    await _publish(writer, _record_times_snapshot(), 1)
    assert await feed_window(qm_redis, key) is None
    flow = _records([5_250_000_017, 5_300_000_000])
    await _publish(writer, flow, 3)
    await _publish(writer, _records([7_999_999_999]), 4)
    window = await feed_window(qm_redis, key)
    assert window is not None
    assert (window.first_ts_event, window.live_from_ns) == (5_250_000_017, 7_999_999_999)
    feed = await LiveSessionFeed.open(qm_redis, key, width_ns=WIDTH)
    assert feed is not None
    assert (feed.start_ns, feed.live_from_ns, feed.key) == (5_200_000_000, 7_999_999_999, key)
    await writer.end("stopped", cursors={}, current=None, seq=4)
    got = [a async for a in feed.batches(asyncio.Event())]
    # the whole stream, snapshot included (a joining consumer rebuilds the book), then the end
    assert [a.shape[0] for a in got] == [2, 2, 1]
    assert got[0]["flags"].tolist() == [F_SNAPSHOT, F_SNAPSHOT]


def _record_times_snapshot() -> np.ndarray:
    return _records([1_000, 2_000], flags=F_SNAPSHOT)
