"""Exact-once resume: per-instrument cursors and the filter dropping already-delivered records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qm_market.envelope import F_SNAPSHOT, Cursor, MboArray, advance_cursor

# A snapshot stands for every record up to its ts_event: "all ordinals at this ts are delivered".
SNAPSHOT_ORDINAL = 2**40


@dataclass
class _Guard:
    ts_event: int
    remaining: int


class ResumeFilter:
    """Tracks the delivered cursor per instrument; after a resume drops exactly what was sent."""

    def __init__(
        self, cursors: dict[int, Cursor] | None = None, current: int | None = None
    ) -> None:
        self.cursors: dict[int, Cursor] = dict(cursors or {})
        self._last = current
        self._guards: dict[int, _Guard] = {}
        self.dropped = 0

    def resume_start(self, fallback: int | None) -> int | None:
        """`start` for the next subscription: the current contract's cursor, else `fallback`."""
        if self._last in self.cursors:
            return self.cursors[self._last].ts_event
        if self.cursors:
            return max(c.ts_event for c in self.cursors.values())
        return fallback

    def switch(self, instrument_id: int) -> None:
        """A roll made `instrument_id` the live contract before any of its records arrived."""
        self._last = instrument_id

    @property
    def current(self) -> int | None:
        """The instrument whose record was delivered last (the live contract)."""
        return self._last

    def arm(self) -> None:
        """A new session replays from the cursor: guard every instrument we have delivered."""
        self._guards = {iid: _Guard(c.ts_event, c.ordinal + 1) for iid, c in self.cursors.items()}

    def admit(self, recs: MboArray) -> MboArray:
        """The records not delivered before (order kept); advances the cursors over them."""
        if self._guards and recs.shape[0]:
            keep = np.ones(recs.shape[0], dtype=bool)
            for iid in list(self._guards):
                self._filter(recs, iid, keep)
            self.dropped += int((~keep).sum())
            recs = recs[keep]
        self._advance(recs)
        return recs

    def _filter(self, recs: MboArray, iid: int, keep: np.ndarray) -> None:
        guard = self._guards[iid]
        rows = np.flatnonzero(recs["instrument_id"] == iid)
        if rows.size == 0:
            return
        ts = recs["ts_event"][rows]
        drop = ts < guard.ts_event
        same = np.flatnonzero(ts == guard.ts_event)[: guard.remaining]
        drop[same] = True
        guard.remaining -= int(same.size)
        keep[rows[drop]] = False
        if bool((ts > guard.ts_event).any()):
            del self._guards[iid]  # past the overlap: everything from here on is new

    def _advance(self, recs: MboArray) -> None:
        if recs.shape[0] == 0:
            return
        ids = recs["instrument_id"]
        for iid in np.unique(ids).tolist():
            mine = recs[ids == iid]
            previous = self.cursors.get(iid)
            snap = np.flatnonzero(mine["flags"] & F_SNAPSHOT)
            if snap.size:
                previous = Cursor(int(mine["ts_event"][snap[-1]]), SNAPSHOT_ORDINAL)
                mine = mine[snap[-1] + 1 :]
            cursor = advance_cursor(previous, mine["ts_event"])
            assert cursor is not None
            self.cursors[iid] = cursor
        self._last = int(ids[-1])
