"""Synthetic MBO sessions written as real DBN: deterministic per seed, Databento-shaped flow."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import databento_dbn as dbn
import numpy as np

from qm_market.dbn_file import write_dbn
from qm_market.envelope import MBO_DTYPE, MBO_LENGTH_WORDS, RTYPE_MBO, MboArray
from qm_market.instruments import Instrument
from qm_market.synth._flow import FlowBook, FlowConfig, Row

NS = 1_000_000_000


@dataclass(frozen=True)
class SynthSpec:
    """What to generate: instrument, session date, ET start, length, seed and event rate."""

    instrument: Instrument
    day: date
    start: str
    minutes: float
    seed: int
    events_per_second: float | None = None

    @property
    def start_ns(self) -> int:
        """UTC ns of the session start."""
        return self.instrument.et_to_ns(self.day, self.start)

    @property
    def end_ns(self) -> int:
        """UTC ns of the session end."""
        return self.start_ns + int(self.minutes * 60 * NS)


def _to_records(rows: list[Row], inst: Instrument, seq0: int) -> MboArray:
    arr = np.zeros(len(rows), dtype=MBO_DTYPE)
    cols = np.array(rows, dtype=np.int64).reshape(-1, 8)
    arr["length"] = MBO_LENGTH_WORDS
    arr["rtype"] = RTYPE_MBO
    arr["publisher_id"] = 1
    arr["instrument_id"] = inst.synthetic_instrument_id
    arr["ts_event"] = cols[:, 0]
    arr["order_id"] = cols[:, 1]
    arr["price"] = np.where(cols[:, 5] == ord("R"), 0, cols[:, 2] * inst.tick_int)
    arr["size"] = cols[:, 3]
    arr["flags"] = cols[:, 4]
    arr["action"] = cols[:, 5].astype(np.uint8).view("S1")
    arr["side"] = cols[:, 6].astype(np.uint8).view("S1")
    arr["ts_recv"] = np.maximum(cols[:, 0], np.int64(0)) + 1500
    arr["ts_in_delta"] = 900
    # one sequence number per event group, i.e. per F_LAST
    group_end = (cols[:, 4] & 128) != 0
    arr["sequence"] = seq0 + np.concatenate(([0], np.cumsum(group_end)[:-1]))
    return arr


def generate(spec: SynthSpec, *, chunk_rows: int = 262_144) -> Iterator[MboArray]:
    """MBO record chunks of the session, in file order."""
    rng = random.Random(spec.seed)  # noqa: S311 (deterministic simulation, not crypto)
    inst = spec.instrument
    mid = round((inst.synthetic.start_price if inst.synthetic else 100.0) / inst.tick_size)
    cfg = FlowConfig()
    book = FlowBook(rng, mid, cfg)
    rate = spec.events_per_second or (inst.synthetic.events_per_second if inst.synthetic else 400)
    ts, end = spec.start_ns, spec.end_ns
    clear_at = spec.start_ns + int((end - spec.start_ns) * 0.6)
    rows: list[Row] = []
    book.clear(ts, rows, snapshot=True)
    seq = 1
    burst = 0
    actions = (book.add, book.cancel, book.modify, book.trade)
    weights = (cfg.p_add, cfg.p_cancel, cfg.p_modify, cfg.p_trade)
    while True:
        if burst > 0:
            burst -= 1
        else:
            ts += 1 + int(rng.expovariate(rate) * NS)
            if rng.random() < cfg.quiet_gaps_per_minute / (60.0 * rate):
                ts += rng.randrange(2 * NS, 8 * NS)
            if rng.random() < cfg.p_burst:
                burst = rng.randrange(1, 6)
        if ts >= end:
            break
        if clear_at and ts >= clear_at:
            clear_at = 0
            book.clear(ts, rows, snapshot=False)
        book.pressure = max(-1.0, min(1.0, book.pressure + rng.gauss(0.0, 0.02)))
        rng.choices(actions, weights)[0](ts, rows)
        if len(rows) >= chunk_rows:
            chunk = _to_records(rows, inst, seq)
            seq = int(chunk["sequence"][-1]) + 1
            rows = []
            yield chunk
    if rows:
        yield _to_records(rows, inst, seq)


def metadata_for(spec: SynthSpec) -> dbn.Metadata:
    """DBN metadata naming the instrument and mapping its synthetic instrument_id."""
    inst = spec.instrument
    interval = SimpleNamespace(
        start_date=spec.day,
        end_date=date.fromordinal(spec.day.toordinal() + 1),
        symbol=str(inst.synthetic_instrument_id),
    )
    return dbn.Metadata(
        dataset=inst.dataset,
        start=spec.start_ns,
        end=spec.end_ns,
        stype_in=dbn.SType("raw_symbol"),
        stype_out=dbn.SType("instrument_id"),
        schema=dbn.Schema("mbo"),
        symbols=[inst.symbol],
        partial=[],
        not_found=[],
        mappings=[SimpleNamespace(raw_symbol=inst.symbol, intervals=[interval])],
    )


def write_session(spec: SynthSpec, out: str | Path) -> int:
    """Generate the session and write it as .dbn or .dbn.zst (by suffix); returns record count."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    n = write_dbn(tmp, metadata_for(spec), generate(spec), zstd=path.suffix == ".zst")
    tmp.replace(path)
    return n
