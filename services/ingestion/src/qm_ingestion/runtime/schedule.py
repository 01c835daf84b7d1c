"""Scheduled contract rolls ("N days before expiry"), decided from instrument definitions.

A contract's roll instant is its expiration date (in the policy's timezone) minus N days, at
`roll_time`. The live contract at market time `t` is the earliest-expiring contract whose roll
instant is after `t`. Market time is always a record's `ts_event` (or the session's replay
origin), never the wall clock, so a replay or a resume decides exactly as the first run did.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import databento as db
import databento_dbn as dbn

from qm_ingestion.runtime.config import GatewayConfig
from qm_ingestion.runtime.intake import FATAL_ERRORS

NS = 1_000_000_000
UNDEF_TIMESTAMP = 2**64 - 1


class DefinitionsError(Exception):
    """Definitions could not be read; `fatal` when the gateway refused (no retry)."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass(frozen=True)
class ScheduledRoll:
    """A `days_before_expiry` policy (configs/rolls, RollPolicySpec) as the supervisor uses it."""

    name: str
    days_before_expiry: int
    roll_time: str = "17:00"
    timezone: str = "America/New_York"

    def roll_instant(self, expiration_ns: int) -> int:
        """UTC ns of (expiration date in `timezone` - N days) at `roll_time` (DST-aware)."""
        zone = ZoneInfo(self.timezone)
        expiry = datetime.fromtimestamp(expiration_ns / NS, tz=UTC).astimezone(zone)
        day = expiry.date() - timedelta(days=self.days_before_expiry)
        wall = datetime.combine(day, time.fromisoformat(self.roll_time), tzinfo=zone)
        return int(wall.timestamp()) * NS

    def reason(self, contract: Contract) -> str:
        """The roll reason written to contract_roll_event and the audit."""
        zone = ZoneInfo(self.timezone)
        expiry = datetime.fromtimestamp(contract.expiration_ns / NS, tz=UTC).astimezone(zone)
        return (
            f"days_before_expiry: {self.days_before_expiry} days before "
            f"{contract.raw_symbol} expiry {expiry.date().isoformat()} ({self.name})"
        )


@dataclass(frozen=True)
class Contract:
    """One futures contract of the product, from its InstrumentDefMsg."""

    raw_symbol: str
    instrument_id: int
    expiration_ns: int
    roll_ns: int


@dataclass(frozen=True)
class Definitions:
    """The product's contracts (by expiration) and the market time they were read at."""

    contracts: tuple[Contract, ...]
    market_ns: int

    def front(self, at_ns: int) -> Contract | None:
        """The earliest-expiring contract whose roll instant is after `at_ns`."""
        for contract in self.contracts:
            if contract.roll_ns > at_ns:
                return contract
        return None

    def by_id(self, instrument_id: int | None) -> Contract | None:
        """The contract with this instrument_id, if listed."""
        return next((c for c in self.contracts if c.instrument_id == instrument_id), None)

    def after(self, contract: Contract) -> Contract | None:
        """The contract to roll into from `contract` (front at its roll instant)."""
        return self.front(contract.roll_ns)


def parent_of(symbol: str) -> str:
    """`ES.c.0` -> `ES.FUT` (the definitions subscription of a continuous symbol's product)."""
    return f"{symbol.split('.', 1)[0]}.FUT"


def contracts_from(records: list[Any], policy: ScheduledRoll) -> tuple[Contract, ...]:
    """Futures contracts with an expiration, newest definition per instrument, by expiry."""
    latest: dict[int, Any] = {}
    for rec in records:
        if isinstance(rec, dbn.InstrumentDefMsg):
            latest[int(rec.instrument_id)] = rec
    out = []
    for iid, rec in latest.items():
        expiration = int(rec.expiration)
        if expiration in (0, UNDEF_TIMESTAMP):
            continue
        if rec.security_update_action == dbn.SecurityUpdateAction.DELETE:
            continue
        if rec.instrument_class != dbn.InstrumentClass.FUTURE:
            continue
        out.append(Contract(str(rec.raw_symbol), iid, expiration, policy.roll_instant(expiration)))
    return tuple(sorted(out, key=lambda c: (c.expiration_ns, c.raw_symbol)))


async def fetch_definitions(
    cfg: GatewayConfig, dataset: str, symbol: str, start: int | None, policy: ScheduledRoll
) -> Definitions:
    """Read the product's definitions on a short `definition`/`parent` connection.

    Replays from `start` (0 when the session has no origin) until REPLAY_COMPLETED; every wait
    is bounded by `stop_timeout_s` plus the heartbeat window.
    """
    records: list[Any] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_record(rec: Any) -> None:
        records.append(rec)
        if isinstance(rec, dbn.ErrorMsg) or (
            isinstance(rec, dbn.SystemMsg) and rec.code == dbn.SystemCode.REPLAY_COMPLETED
        ):
            loop.call_soon_threadsafe(done.set)

    client = db.Live(
        key=cfg.key,
        gateway=cfg.host,
        port=cfg.port,
        heartbeat_interval_s=cfg.heartbeat_interval_s,
    )
    client.add_callback(on_record)
    parent = parent_of(symbol)
    try:
        await asyncio.to_thread(
            client.subscribe,
            dataset=dataset,
            schema="definition",
            symbols=[parent],
            stype_in="parent",
            start=0 if start is None else start,
        )
    except db.BentoError as exc:
        fatal = not str(exc).startswith("Connection to")
        raise DefinitionsError(f"definitions of {parent}: {exc}", fatal=fatal) from None
    client.start()
    closed = asyncio.ensure_future(client.wait_for_close())
    limit = cfg.heartbeat_interval_s + cfg.watchdog_margin_s + cfg.stop_timeout_s
    try:
        await asyncio.wait(
            [asyncio.ensure_future(done.wait()), closed],
            timeout=limit,
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        if not closed.done():
            client.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(closed), cfg.stop_timeout_s)
        if not closed.done():
            client.terminate()
        closed.cancel()
        with contextlib.suppress(BaseException):
            await closed
    errors = [r for r in records if isinstance(r, dbn.ErrorMsg)]
    if errors:
        fatal = any(e.code in FATAL_ERRORS for e in errors)
        raise DefinitionsError(f"definitions of {parent}: {errors[0].err}", fatal=fatal)
    if not any(
        isinstance(r, dbn.SystemMsg) and r.code == dbn.SystemCode.REPLAY_COMPLETED for r in records
    ):
        raise DefinitionsError(
            f"definitions of {parent}: no REPLAY_COMPLETED within {limit:g}s", fatal=False
        )
    contracts = contracts_from(records, policy)
    if not contracts:
        raise DefinitionsError(f"no futures contract with an expiration under {parent}", fatal=True)
    market = max(int(r.ts_event) for r in records)
    return Definitions(contracts, market)
