"""Replay (DBN file) and live (gateway -> supervisor -> Redis stream) give identical silver bins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qm_engine.engine import BinBlock, Engine
from qm_market.dbn_file import DbnFileSource
from qm_market.instruments import load_instrument
from qm_market.lsg_sim import MarketScript, SimGateway
from qm_market.synth import SynthSpec, write_session

ROOT = Path(__file__).resolve().parents[3]


def _bins(batches: Iterable[np.ndarray], tick_int: int, start: int, end: int) -> list[Any]:
    engine = Engine(tick_int, start_ns=start, end_ns=end)
    blocks: list[BinBlock] = []
    for records in batches:
        blocks += engine.feed(records)
    blocks += engine.finish()
    return [
        np.concatenate([getattr(b, f) for b in blocks])
        for f in ("meta", "labels", "silver_f", "silver_i")
    ]


async def test_replay_and_live_bins_are_identical(
    gateway: SimGateway,
    script: MarketScript,
    start_run: Callable[..., Awaitable[Any]],
    tmp_path: Path,
) -> None:
    inst = load_instrument(ROOT / "configs/instruments/ESZ6.yaml")
    spec = SynthSpec(inst, date(2026, 11, 2), "09:30", 0.5, 11, 400)  # the `script` fixture
    path = tmp_path / "session.dbn"
    write_session(spec, path)
    n = len(script)
    gateway.inject("reset", at_record=n // 4)
    gateway.inject("close", at_record=n // 2)
    run = await start_run(gateway.port)
    await run.until(lambda: run.sup.counters.records >= n)
    await run.stop()
    live = [b.records for b in await run.batches() if len(b)]
    replay = [b.records for b in DbnFileSource(path)]
    assert len(live) != len(replay)  # different batch boundaries, same stream
    args = (inst.tick_int, spec.start_ns, spec.end_ns)
    live_bins, replay_bins = _bins(live, *args), _bins(replay, *args)
    assert live_bins[0].shape[0] == (spec.end_ns - spec.start_ns) // 100_000_000
    for a, b in zip(live_bins, replay_bins, strict=True):
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()
