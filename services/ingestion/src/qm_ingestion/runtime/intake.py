"""Intake: records from the databento loop thread into ordered, deduplicated downstream batches."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import databento_dbn as dbn
import numpy as np

from qm_market.envelope import MBO_DTYPE

if TYPE_CHECKING:
    from qm_ingestion.runtime.supervisor import LiveSupervisor

MBO_BYTES = MBO_DTYPE.itemsize
COALESCE_S = 0.002
FATAL_ERRORS = frozenset(
    {
        dbn.ErrorCode.AUTH_FAILED,
        dbn.ErrorCode.API_KEY_DEACTIVATED,
        dbn.ErrorCode.SYMBOL_RESOLUTION_FAILED,
        dbn.ErrorCode.INVALID_SUBSCRIPTION,
    }
)


class Intake:
    """Callback side runs on databento's thread (append only); drain side runs on our loop."""

    def __init__(self, sup: LiveSupervisor, seq: int) -> None:
        self.sup = sup
        self.seq = seq
        self.resuming = False
        self.last_rx = time.monotonic()
        self.symbols: dict[int, str] = {}
        # records of a connection closed by a planned roll are dropped: one generation each
        self.gen = 0
        self._inbox: deque[tuple[int, int, Any]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._signalled = False
        self._lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start draining on `loop`."""
        self._loop = loop
        self._pump = loop.create_task(self._run())

    def receiver(self) -> Callable[[Any], None]:
        """The databento callback of a new connection (tags its records with this generation)."""
        gen = self.gen

        def on_record(record: Any) -> None:
            self._receive(gen, record)

        return on_record

    def on_record(self, record: Any) -> None:
        """databento callback (its loop thread) of the current generation."""
        self._receive(self.gen, record)

    def _receive(self, gen: int, record: Any) -> None:
        """Queue and wake the drain."""
        self.last_rx = time.monotonic()
        self._inbox.append((time.time_ns(), gen, record))
        # one wake-up per drain cycle, not per record: the self-pipe is the expensive part
        if self._loop is not None and not self._signalled:
            self._signalled = True
            self._loop.call_soon_threadsafe(self._wake.set)

    async def close(self) -> None:
        """Stop the drain task (after a final drain)."""
        await self.drain()
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(COALESCE_S)  # let a burst accumulate into one batch
            self._wake.clear()
            self._signalled = False
            await self.drain()

    async def drain(self) -> None:
        """Process everything queued so far, in arrival order."""
        async with self._lock:
            pending: list[bytes] = []
            t_first = 0
            while self._inbox:
                t_rx, gen, rec = self._inbox.popleft()
                if gen != self.gen:
                    continue  # a connection we left at a planned roll
                if isinstance(rec, dbn.MBOMsg):
                    t_first = t_first or t_rx
                    pending.append(bytes(rec)[:MBO_BYTES])
                    continue
                await self._flush(pending, t_first)
                pending, t_first = [], 0
                if gen == self.gen:  # the flush may have rolled away from this connection
                    await self._control(rec)
            await self._flush(pending, t_first)

    async def _flush(self, pending: list[bytes], t_rx: int) -> None:
        if not pending:
            return
        recs = np.frombuffer(b"".join(pending), dtype=MBO_DTYPE)
        cut = self.sup.roll_cut(recs)
        if cut is not None:
            await self._publish(recs[:cut], t_rx)
            await self.sup.planned_roll()
            return
        await self._publish(recs, t_rx)

    async def _publish(self, recs: np.ndarray, t_rx: int) -> None:
        before = self.sup.filter.dropped
        fresh = self.sup.filter.admit(recs)
        counters = self.sup.counters
        counters.duplicates_dropped += self.sup.filter.dropped - before
        if fresh.shape[0] == 0:
            return
        self.seq += int(fresh.shape[0])
        counters.records += int(fresh.shape[0])
        if self.resuming:
            counters.gap_records += int(fresh.shape[0])
        await self.sup.sink.publish(
            fresh,
            symbols=self.symbols,
            cursors=self.sup.filter.cursors,
            current=self.sup.filter.current,
            seq=self.seq,
            t_rx=t_rx,
        )
        counters.lag_ms = (time.time_ns() - t_rx) / 1e6

    async def _control(self, rec: Any) -> None:
        if isinstance(rec, dbn.SymbolMappingMsg):
            await self._mapping(rec)
        elif isinstance(rec, dbn.SystemMsg):
            if rec.code == dbn.SystemCode.REPLAY_COMPLETED and self.resuming:
                self.resuming = False
                self.sup.counters.gaps_filled += 1
            if self.sup.origin is None:
                self.sup.origin = int(rec.ts_event)
            # market time passed the roll instant while the contract was quiet (acks precede
            # the replay, so only heartbeats and replay completion count)
            timely = (dbn.SystemCode.HEARTBEAT, dbn.SystemCode.REPLAY_COMPLETED)
            if rec.code in timely and self.sup.due(int(rec.ts_event)):
                await self.sup.planned_roll()
        elif isinstance(rec, dbn.ErrorMsg):
            self.sup.counters.last_disconnect = f"gateway error: {rec.err}"
            if rec.code in FATAL_ERRORS:
                self.sup.fail(f"gateway error: {rec.err}")

    async def _mapping(self, rec: Any) -> None:
        iid = int(rec.instrument_id)
        self.symbols[iid] = str(rec.stype_out_symbol)
        if self.sup.origin is None:
            self.sup.origin = int(rec.ts_event)
        current = self.sup.filter.current
        known = set(self.sup.filter.cursors) | {current}
        if rec.stype_in_symbol != self.sup.spec.symbol or current is None or iid in known:
            return
        await self.sup.roll_to(current, iid, reason=f"{rec.stype_in_symbol} remapped by gateway")
