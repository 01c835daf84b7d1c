"""The scripted market a simulated gateway serves: MBO records of one or more contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from qm_market.envelope import MBO_DTYPE, MboArray
from qm_market.instruments import Instrument, SyntheticDefaults
from qm_market.synth import SynthSpec, generate


@dataclass
class MarketScript:
    """Records (ts_recv order) of every contract, contract ids, continuous-symbol schedules, and
    the contracts' expirations (UTC ns; served as `definition` records of their product)."""

    dataset: str
    records: MboArray
    contracts: dict[str, int]
    continuous: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    expirations: dict[str, int] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    tick_sizes: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.records.shape[0])

    def resolve(self, symbol: str, at: int) -> str | None:
        """The raw contract a subscribed symbol stands for at script index `at` (None: unknown)."""
        if symbol in self.contracts:
            return symbol
        schedule = self.continuous.get(symbol)
        if not schedule:
            return None
        active = schedule[0][1]
        for start, contract in schedule:
            if start <= at:
                active = contract
        return active

    def selection(self, symbol: str) -> np.ndarray:
        """Script indices a subscription to `symbol` receives (in order), over the whole script."""
        if symbol in self.contracts:
            return np.flatnonzero(self.records["instrument_id"] == self.contracts[symbol])
        parts = []
        schedule = self.continuous.get(symbol, [])
        bounds = [start for start, _ in schedule[1:]] + [len(self)]
        for (start, contract), end in zip(schedule, bounds, strict=True):
            ids = self.records["instrument_id"][start:end]
            parts.append(start + np.flatnonzero(ids == self.contracts[contract]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def expected(self, symbol: str, start_ns: int | None = None) -> MboArray:
        """What a loss-free, duplicate-free downstream must receive for `symbol` from `start_ns`."""
        recs: MboArray = self.records[self.selection(symbol)]
        if start_ns is not None:
            recs = recs[recs["ts_event"] >= start_ns]
        return recs

    def family(self, parent: str) -> list[str]:
        """Contracts of a parent symbol (`ES.FUT`), by expiration then symbol."""
        root, _, suffix = parent.rpartition(".")
        if suffix != "FUT":
            return []
        mine = [c for c in self.contracts if self.roots.get(c) == root]
        return sorted(mine, key=lambda c: (self.expirations.get(c, 2**63), c))


def _contract(inst: Instrument, symbol: str, instrument_id: int) -> Instrument:
    synthetic = inst.synthetic or SyntheticDefaults(start_price=100.0)
    return inst.model_copy(
        update={
            "symbol": symbol,
            "synthetic": synthetic.model_copy(update={"instrument_id": instrument_id}),
        }
    )


def _records(spec: SynthSpec) -> MboArray:
    chunks = list(generate(spec))
    out: MboArray = np.concatenate(chunks) if chunks else np.zeros(0, dtype=MBO_DTYPE)
    return out


def synthetic_script(
    inst: Instrument,
    *,
    day: date,
    start: str = "09:30",
    minutes: float = 1.0,
    seed: int = 7,
    events_per_second: float | None = None,
    expiration_ns: int | None = None,
) -> MarketScript:
    """One contract's synthetic session; its root also maps as continuous symbol ROOT.c.0."""
    spec = SynthSpec(inst, day, start, minutes, seed, events_per_second)
    recs = _records(spec)
    iid = inst.synthetic_instrument_id
    return MarketScript(
        dataset=inst.dataset,
        records=recs,
        contracts={inst.symbol: iid},
        continuous={f"{inst.root}.c.0": [(0, inst.symbol)]},
        expirations={} if expiration_ns is None else {inst.symbol: expiration_ns},
        roots={inst.symbol: inst.root},
        tick_sizes={inst.symbol: inst.tick_int},
    )


def roll_script(
    front: Instrument,
    *,
    back_symbol: str,
    back_instrument_id: int,
    day: date,
    start: str = "09:30",
    minutes: float = 1.0,
    roll_fraction: float = 0.5,
    seed: int = 7,
    events_per_second: float | None = None,
    front_expiration_ns: int | None = None,
    back_expiration_ns: int | None = None,
) -> MarketScript:
    """Front contract until the roll, then the back contract (fresh book) under ROOT.c.0.

    With expirations, both contracts are listed as definitions of `ROOT.FUT`.
    """
    spec = SynthSpec(front, day, start, minutes, seed, events_per_second)
    roll_ns = spec.start_ns + int((spec.end_ns - spec.start_ns) * roll_fraction)
    head = _records(spec)
    head = head[head["ts_event"] < roll_ns]
    back = _contract(front, back_symbol, back_instrument_id)
    tail = _records(
        SynthSpec(back, day, start, minutes * (1 - roll_fraction), seed + 1, events_per_second)
    )
    shift = np.uint64(roll_ns - spec.start_ns)
    tail["ts_event"] += shift
    tail["ts_recv"] += shift
    recs = np.concatenate([head, tail])
    cont = f"{front.root}.c.0"
    return MarketScript(
        dataset=front.dataset,
        records=recs,
        contracts={front.symbol: front.synthetic_instrument_id, back_symbol: back_instrument_id},
        continuous={cont: [(0, front.symbol), (int(head.shape[0]), back_symbol)]},
        expirations={
            s: e
            for s, e in ((front.symbol, front_expiration_ns), (back_symbol, back_expiration_ns))
            if e is not None
        },
        roots={front.symbol: front.root, back_symbol: front.root},
        tick_sizes={front.symbol: front.tick_int, back_symbol: front.tick_int},
    )
