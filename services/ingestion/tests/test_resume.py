"""The resume filter drops exactly the delivered records by (instrument, ts_event, ordinal)."""

from __future__ import annotations

import numpy as np

from qm_ingestion.runtime.resume import SNAPSHOT_ORDINAL, ResumeFilter
from qm_market.envelope import F_SNAPSHOT, MBO_DTYPE, Cursor


def _recs(rows: list[tuple[int, int]], flags: int = 0) -> np.ndarray:
    out = np.zeros(len(rows), dtype=MBO_DTYPE)
    out["instrument_id"] = [r[0] for r in rows]
    out["ts_event"] = [r[1] for r in rows]
    out["order_id"] = np.arange(len(rows))
    out["flags"] = flags
    return out


def test_cursor_counts_records_sharing_the_last_ts_event() -> None:
    f = ResumeFilter()
    f.admit(_recs([(1, 10), (1, 20), (1, 20)]))
    f.admit(_recs([(1, 20)]))
    assert f.cursors == {1: Cursor(20, 2)}
    assert f.current == 1
    assert f.resume_start(None) == 20


def test_replay_after_resume_drops_exactly_the_delivered_prefix() -> None:
    f = ResumeFilter({1: Cursor(20, 1)}, current=1)
    f.arm()
    replay = _recs([(1, 20), (1, 20), (1, 20), (1, 30)])
    fresh = f.admit(replay[:2])
    assert fresh.shape[0] == 0
    fresh = f.admit(replay[2:])
    assert fresh["ts_event"].tolist() == [20, 30]
    assert f.dropped == 2
    assert f.cursors[1] == Cursor(30, 0)
    # the guard is gone: a later same-ts record is new data, never dropped
    assert f.admit(_recs([(1, 30)])).shape[0] == 1


def test_guards_are_per_instrument() -> None:
    f = ResumeFilter({1: Cursor(20, 0), 2: Cursor(15, 0)}, current=1)
    f.arm()
    fresh = f.admit(_recs([(2, 15), (1, 20), (2, 16), (1, 21)]))
    assert [(int(r["instrument_id"]), int(r["ts_event"])) for r in fresh] == [(2, 16), (1, 21)]


def test_snapshot_covers_everything_at_its_timestamp() -> None:
    f = ResumeFilter()
    f.admit(_recs([(1, 50), (1, 50)], flags=F_SNAPSHOT))
    assert f.cursors[1] == Cursor(50, SNAPSHOT_ORDINAL)
    f.arm()
    assert f.admit(_recs([(1, 50), (1, 50), (1, 50)])).shape[0] == 0
    assert f.admit(_recs([(1, 51)])).shape[0] == 1


def test_resume_start_prefers_the_live_contract() -> None:
    f = ResumeFilter({1: Cursor(90, 0), 2: Cursor(40, 3)}, current=2)
    assert f.resume_start(0) == 40
    f.switch(3)  # rolled, nothing of 3 delivered yet: newest cursor wins
    assert f.resume_start(0) == 90
    assert ResumeFilter().resume_start(7) == 7
