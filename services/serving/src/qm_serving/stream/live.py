"""The computer of a live producer: catch-up, then the live edge; a fresh book at each roll."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from qm_engine.engine import BinBlock, Engine
from qm_engine.gold import GoldState
from qm_market.envelope import F_LAST, MBO_DTYPE
from qm_serving.stream.grid import EncodedBin, GridComputer

ACTION_NONE = b"N"  # Databento's "no action": moves the engine clock, touches no book


class LiveComputer(GridComputer):
    """Bins of a live session; one contract at a time.

    * Catch-up: bins ending at or before `live_from_ns` (the newest delivered time when the
      producer started) are computed through the engine and the gold kernel like every bin —
      the state must be the session's whole history — but `next_bin` does not return them.
    * Roll: record arrays carry one instrument each, so a new `instrument_id` is a contract
      switch. The open bin of the old contract is closed at its normal end (a no-action record
      at that time moves the engine clock), its bins are encoded with the old gold state, and
      a fresh engine and gold state start at that boundary with `bin_seq` continuing. Records of
      the new contract before the boundary build its book but count in no bin: no bin mixes
      contracts.
    """

    def __init__(
        self,
        *,
        make_engine: Callable[[int], Engine],
        make_gold: Callable[[], GoldState | None],
        schema: pa.Schema,
        price_scale: float,
        start_ns: int,
        width_ns: int,
        live_from_ns: int = 0,
    ) -> None:
        super().__init__(make_engine(start_ns), make_gold(), schema, price_scale)
        self.make_engine, self.make_gold = make_engine, make_gold
        self.start_ns, self.width_ns, self.live_from_ns = start_ns, width_ns, live_from_ns
        self.instrument_id: int | None = None
        self.last_ts = 0
        self.seq_offset = 0
        self.rolls = 0
        self.caught_up = 0
        self._ready: deque[EncodedBin] = deque()

    def _queue(self, blocks: list[BinBlock]) -> None:
        for block in blocks:
            block.meta[:, 0] += self.seq_offset  # bin_seq continues across contracts
        super()._queue(blocks)

    def _roll(self) -> None:
        width, origin = self.width_ns, self.start_ns
        open_bin = (self.last_ts - origin) // width
        boundary = origin + (open_bin + 1) * width
        tick = np.zeros(1, dtype=MBO_DTYPE)
        tick["ts_event"] = tick["ts_recv"] = boundary
        tick["action"], tick["side"], tick["flags"] = ACTION_NONE, b"N", F_LAST
        tick["instrument_id"] = self.instrument_id or 0
        super().feed(tick)
        while (item := super().next_bin()) is not None:
            self._ready.append(item)
        self.engine, self.gold = self.make_engine(boundary), self.make_gold()
        self.start_ns, self.seq_offset = boundary, self.seq_offset + open_bin + 1
        self.rolls += 1

    def feed(self, records: Any) -> None:
        """Apply one instrument's records; a new instrument rolls the book first."""
        if records.shape[0] == 0:
            return
        iid = int(records["instrument_id"][0])
        if self.instrument_id is not None and iid != self.instrument_id and self.last_ts:
            self._roll()
        self.instrument_id = iid
        super().feed(records)
        self.last_ts = max(self.last_ts, int(records["ts_event"].max()))

    def next_bin(self) -> EncodedBin | None:
        """The next bin past the live edge (catch-up bins go through gold, not the encoder)."""
        while True:
            if self._ready:
                item: EncodedBin | None = self._ready.popleft()
            else:
                end = self.next_end_ns()
                if end is not None and end <= self.live_from_ns:
                    self.skip_bin()
                    self.caught_up += 1
                    continue
                item = super().next_bin()
            if item is None or item.bin_end_ns > self.live_from_ns:
                return item
            self.caught_up += 1

    def close(self) -> None:
        """A live session has no end time: bins close as records arrive, never by `close`."""
