"""The bridge's readers: envelope batches and serving's LiveSource shape over a session stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from qm_events.market_stream import LiveSessionFeed
from qm_market.lsg_sim import MarketScript, SimGateway


async def test_live_feed_yields_records_until_the_session_ends(
    rolling_gateway: SimGateway, rolling: MarketScript, start_run: Callable[..., Awaitable[Any]]
) -> None:
    run = await start_run(rolling_gateway.port)
    await run.until(lambda: run.sup.counters.records >= len(rolling))
    await run.stop()
    feed = LiveSessionFeed(run.redis, run.key)
    arrays = [a async for a in feed.batches(asyncio.Event())]
    assert np.array_equal(np.concatenate(arrays), rolling.expected("ES.c.0", 0))
    assert all(len(set(a["instrument_id"].tolist())) == 1 for a in arrays)
    assert feed.rolls == 1
    sources = pytest.importorskip("qm_serving.stream.sources")
    assert isinstance(feed, sources.LiveSource)


async def test_live_feed_stops_when_asked(
    paused_gateway: SimGateway, start_run: Callable[..., Awaitable[Any]]
) -> None:
    run = await start_run(paused_gateway.port, start_ns=None)
    await run.until(lambda: any(c.started for c in paused_gateway.connections))
    paused_gateway.play()
    await run.until(lambda: run.sup.counters.records > 0)
    stop = asyncio.Event()
    feed = LiveSessionFeed(run.redis, run.key)
    got = 0
    async for batch in feed.batches(stop):
        got += batch.shape[0]
        stop.set()
    assert got > 0
    await run.stop()
