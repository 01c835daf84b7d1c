"""LiveSupervisor: one live session around databento.Live, reconnecting and resuming exactly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import databento as db
import numpy as np

from qm_ingestion.runtime.config import GatewayConfig, SessionSpec, backoff_delay
from qm_ingestion.runtime.intake import Intake
from qm_ingestion.runtime.resume import ResumeFilter
from qm_ingestion.runtime.schedule import (
    Contract,
    Definitions,
    DefinitionsError,
    fetch_definitions,
)
from qm_market.envelope import Cursor, MboArray

log = logging.getLogger(__name__)


class Disconnect(Exception):
    """The connection ended without our asking: reconnect."""


class Fatal(Exception):
    """The gateway refused the session: do not retry."""


@dataclass
class Counters:
    """What happened to a session so far (served by GET .../sessions/{id})."""

    records: int = 0
    gaps_filled: int = 0
    gap_records: int = 0
    duplicates_dropped: int = 0
    reconnects: int = 0
    rolls: int = 0
    lag_ms: float = 0.0
    last_disconnect: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counters."""
        return asdict(self)


class Sink(Protocol):
    """Downstream of the supervisor (the Redis stream writer, or a list in tests)."""

    async def publish(
        self, records: Any, *, symbols: Any, cursors: Any, current: int | None, seq: int, t_rx: int
    ) -> None: ...
    async def roll(
        self, *, from_id: int, to_id: int, symbols: Any, cursors: Any, seq: int
    ) -> None: ...
    async def end(self, status: str, *, cursors: Any, current: int | None, seq: int) -> None: ...


class Hooks:
    """Persistence hooks (the worker writes Postgres); the defaults do nothing."""

    async def running(self) -> None:
        """The first connection streams."""

    async def checkpoint(
        self, cursors: dict[int, Cursor], current: int | None, seq: int, counters: Counters
    ) -> None:
        """Delivered up to `cursors` (called at a bounded interval and on stop)."""

    async def rolled(self, from_symbol: str, to_symbol: str, reason: str) -> None:
        """The continuous symbol now maps to another contract."""


@dataclass
class State:
    """Resume state handed over by the worker (from the stream's last entry or Postgres)."""

    cursors: dict[int, Cursor] = field(default_factory=dict)
    current: int | None = None
    seq: int = 0


class LiveSupervisor:
    """Runs `spec` until stopped or failed; downstream sees every scripted record exactly once."""

    def __init__(
        self,
        spec: SessionSpec,
        gateway: GatewayConfig,
        sink: Sink,
        *,
        hooks: Hooks | None = None,
        state: State | None = None,
        rng: random.Random | None = None,
    ) -> None:
        state = state or State()
        self.spec, self.cfg, self.sink = spec, gateway, sink
        self.hooks = hooks or Hooks()
        self.counters = Counters()
        self.filter = ResumeFilter(state.cursors, state.current)
        self.intake = Intake(self, state.seq)
        self.status = "starting"
        self.reason: str | None = None
        self.fatal: str | None = None
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._stop = asyncio.Event()
        self._fatal_event = asyncio.Event()
        self._detach = False
        self.origin: int | None = spec.start_ns
        # scheduled rolls (spec.roll): the product's contracts and the one being streamed
        self.definitions: Definitions | None = None
        self.contract: Contract | None = None
        self._rolling = asyncio.Event()

    def request_stop(self) -> None:
        """Ask the session to stop (graceful close, final checkpoint, end entry)."""
        self._stop.set()

    def request_detach(self) -> None:
        """Close the connection and checkpoint, but leave the session active (worker exit)."""
        self._detach = True
        self._stop.set()

    def fail(self, reason: str) -> None:
        """Called by the intake on a fatal gateway error."""
        self.fatal = reason
        self._fatal_event.set()

    async def run(self) -> str:
        """Supervise until stopped or failed; returns the terminal status."""
        self.intake.bind(asyncio.get_running_loop())
        ticker = asyncio.create_task(self._checkpoints())
        try:
            await self._supervise()
        except Fatal as exc:
            self.status, self.reason = "failed", str(exc)
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            await self.intake.close()
            await self._checkpoint()
            await self._finish()
        return self.status

    async def _finish(self) -> None:
        if self.status != "failed" and self._detach:
            self.status = "detached"
            return
        self.status = "stopped" if self.status != "failed" else "failed"
        await self.sink.end(
            self.status,
            cursors=self.filter.cursors,
            current=self.filter.current,
            seq=self.intake.seq,
        )

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                if await self._connection():
                    continue  # a planned roll: straight on to the next contract
                return
            except Disconnect as exc:
                self.counters.last_disconnect = str(exc)
                log.warning("session %s disconnected: %s", self.spec.session_id, exc)
            attempt = 1 if time.monotonic() - began >= self.cfg.success_threshold_s else attempt + 1
            if attempt > self.cfg.max_attempts:
                raise Fatal(
                    f"gave up after {self.cfg.max_attempts} attempts: "
                    f"{self.counters.last_disconnect}"
                )
            self.counters.reconnects += 1
            await self._sleep(backoff_delay(self.cfg, attempt, self._rng.random()))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    def _start(self) -> int | None:
        start = self.filter.resume_start(self.origin)
        if start is not None and self.filter.cursors:
            self.filter.arm()
            self.intake.resuming = True
        return start

    def _scheduled_start(self, contract: Contract) -> tuple[int | None, bool]:
        """(start, snapshot) of the MBO subscription to a scheduled contract."""
        cursor = self.filter.cursors.get(contract.instrument_id)
        if cursor is not None:  # resume this contract exactly from its cursor
            self.filter.arm()
            self.intake.resuming = True
            return cursor.ts_event, False
        if self.filter.cursors:  # rolled into it: the new book comes from a snapshot
            return None, True
        return self.origin, self.spec.snapshot and self.origin is None

    async def _decide(self) -> Contract:
        """The contract to stream now, from the definitions and market time (never wall time)."""
        policy = self.spec.roll
        assert policy is not None
        if self.definitions is None:
            try:
                self.definitions = await fetch_definitions(
                    self.cfg, self.spec.dataset, self.spec.symbol, self.origin, policy
                )
            except DefinitionsError as exc:
                raise (Fatal if exc.fatal else Disconnect)(str(exc)) from None
        defs = self.definitions
        cursors = self.filter.cursors
        if cursors:
            at = max(c.ts_event for c in cursors.values())
        else:
            at = self.origin if self.origin is not None else defs.market_ns
        current = defs.by_id(self.filter.current)
        # a roll entry already committed us to `current` (possibly before any of its records)
        contract = current if current is not None and current.roll_ns > at else defs.front(at)
        if contract is None:
            raise Fatal(f"no contract of the product rolls after market time {at} ({policy.name})")
        previous = self.filter.current
        self.contract = contract
        self.intake.symbols.setdefault(contract.instrument_id, contract.raw_symbol)
        if previous is not None and previous != contract.instrument_id and cursors:
            await self.roll_to(previous, contract.instrument_id, reason=policy.reason(contract))
        return contract

    def due(self, ts_event: int) -> bool:
        """Market time reached the streamed contract's roll instant."""
        return self.contract is not None and ts_event >= self.contract.roll_ns

    def roll_cut(self, recs: MboArray) -> int | None:
        """Index of the first record at/after the streamed contract's roll instant, if any."""
        if self.contract is None or recs.shape[0] == 0:
            return None
        mine = recs["instrument_id"] == self.contract.instrument_id
        late = np.flatnonzero(mine & (recs["ts_event"] >= self.contract.roll_ns))
        return int(late[0]) if late.size else None

    async def planned_roll(self) -> None:
        """Roll at the schedule: roll entry now, then the connection moves to the next contract.

        Records of the old connection still queued are dropped (a new intake generation).
        """
        policy, defs, old = self.spec.roll, self.definitions, self.contract
        assert policy is not None
        assert defs is not None
        assert old is not None
        new = defs.after(old)
        self.intake.gen += 1
        if new is None:
            self.fail(f"no contract to roll into after {old.raw_symbol} ({policy.name})")
            return
        self.contract = new
        self.intake.symbols[new.instrument_id] = new.raw_symbol
        await self.roll_to(old.instrument_id, new.instrument_id, reason=policy.reason(old))
        self._rolling.set()

    async def _open(self) -> db.Live:
        client = db.Live(
            key=self.cfg.key,
            gateway=self.cfg.host,
            port=self.cfg.port,
            heartbeat_interval_s=self.cfg.heartbeat_interval_s,
        )
        symbol, stype_in = self.spec.symbol, self.spec.stype_in
        if self.spec.roll is not None:
            contract = await self._decide()
            symbol, stype_in = contract.raw_symbol, "raw_symbol"
            start, snapshot = self._scheduled_start(contract)
        else:
            start = self._start()
            snapshot = self.spec.snapshot and start is None
        client.add_callback(self.intake.receiver())
        try:
            await asyncio.to_thread(
                client.subscribe,
                dataset=self.spec.dataset,
                schema="mbo",
                symbols=[symbol],
                stype_in=stype_in,
                start=start,
                snapshot=snapshot,
            )
        except db.BentoError as exc:
            if str(exc).startswith("Connection to"):
                raise Disconnect(str(exc)) from None
            raise Fatal(f"gateway refused the session: {exc}") from None
        return client

    async def _connection(self) -> bool:
        """One connection until stop (False), a planned roll (True), or a Disconnect/Fatal."""
        client = await self._open()
        self.intake.last_rx = time.monotonic()
        client.start()
        if self.status == "starting":
            self.status = "running"
            await self.hooks.running()
        closed = asyncio.ensure_future(client.wait_for_close())
        waits = {
            asyncio.ensure_future(self._stop.wait()): "stop",
            asyncio.ensure_future(self._fatal_event.wait()): "fatal",
            asyncio.ensure_future(self._watchdog()): "silence",
            asyncio.ensure_future(self._rolling.wait()): "roll",
            closed: "closed",
        }
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            if task is not closed:
                task.cancel()
        why = "closed" if closed in done else waits[next(iter(done))]
        await self._close(client, closed, graceful=why == "stop" or self._rolling.is_set())
        await self.intake.drain()  # may itself reach the roll instant
        if self.fatal is not None:
            raise Fatal(self.fatal)
        if why == "stop":
            return False
        if self._rolling.is_set():  # a planned roll wins over a close it raced with
            self._rolling.clear()
            return True
        raise Disconnect(self._why(why, closed))

    def _why(self, why: str, closed: asyncio.Future[None]) -> str:
        if why == "silence":
            limit = self.cfg.heartbeat_interval_s + self.cfg.watchdog_margin_s
            return f"heartbeat timeout: no data for {limit:g}s"
        exc = closed.exception() if closed.done() and not closed.cancelled() else None
        return f"connection error: {exc}" if exc else "gateway closed the session (EOF)"

    async def _close(
        self, client: db.Live, closed: asyncio.Future[None], *, graceful: bool
    ) -> None:
        if not closed.done():
            if graceful:
                client.stop()
            else:
                client.terminate()
            try:
                await asyncio.wait_for(asyncio.shield(closed), self.cfg.stop_timeout_s)
            except TimeoutError:
                client.terminate()
            except Exception:  # the close outcome is read from `closed` by the caller
                log.debug("session %s closed with an error", self.spec.session_id)
        with contextlib.suppress(Exception):
            await closed

    async def roll_to(self, from_id: int, to_id: int, *, reason: str) -> None:
        """Switch downstream to `to_id`: a roll entry first, so no batch mixes contracts."""
        self.counters.rolls += 1
        self.filter.switch(to_id)
        symbols = self.intake.symbols
        await self.sink.roll(
            from_id=from_id,
            to_id=to_id,
            symbols=symbols,
            cursors=self.filter.cursors,
            seq=self.intake.seq,
        )
        await self.hooks.rolled(
            symbols.get(from_id, str(from_id)), symbols.get(to_id, str(to_id)), reason
        )

    async def _watchdog(self) -> None:
        limit = self.cfg.heartbeat_interval_s + self.cfg.watchdog_margin_s
        # polled: the last receipt time is written by databento's thread, not signalled
        while time.monotonic() - self.intake.last_rx <= limit:  # noqa: ASYNC110
            await asyncio.sleep(min(0.2, limit / 4))

    async def _checkpoints(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.checkpoint_interval_s)
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        try:
            await self.hooks.checkpoint(
                dict(self.filter.cursors), self.filter.current, self.intake.seq, self.counters
            )
        except Exception:  # a failed checkpoint is retried at the next tick, never fatal
            log.exception("checkpoint of session %s failed", self.spec.session_id)
