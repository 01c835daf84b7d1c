"""LSG control lines, CRAM, and the DBN records the simulated gateway writes."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import databento_dbn as dbn
import numpy as np

from qm_market.envelope import MBO_DTYPE, MboArray

UNDEF_TIMESTAMP = 2**64 - 1
MBO_TS_OUT_DTYPE = np.dtype([*MBO_DTYPE.descr, ("ts_out", "<u8")])


def parse_line(line: bytes) -> dict[str, str]:
    """Split a control line `k=v|k=v\\n` into a dict (each pair split on its first '=')."""
    out: dict[str, str] = {}
    for part in line.decode("utf-8", "replace").strip().split("|"):
        if part:
            key, _, value = part.partition("=")
            out[key] = value
    return out


def new_challenge() -> str:
    """A random CRAM challenge."""
    return secrets.token_hex(16)


def cram_response(challenge: str, key: str) -> str:
    """What a client holding `key` answers to `challenge` (sha256 hex, dash, bucket id)."""
    return hashlib.sha256(f"{challenge}|{key}".encode()).hexdigest() + "-" + key[-5:]


def check_auth(challenge: str, answer: str, keys: frozenset[str]) -> bool:
    """Whether `answer` proves possession of one of `keys`."""
    return any(secrets.compare_digest(cram_response(challenge, k), answer) for k in keys)


def _ts_out(ts_out: int | None) -> dict[str, Any]:
    return {} if ts_out is None else {"ts_out": ts_out}


def metadata(dataset: str, start: int, *, ts_out: bool) -> bytes:
    """The live-stream DBN header: mixed schema, stype_out instrument_id, no symbols."""
    meta = dbn.Metadata(
        dataset=dataset,
        start=start,
        stype_in=None,
        stype_out=dbn.SType.INSTRUMENT_ID,  # type: ignore[arg-type]
        schema=None,
        ts_out=ts_out,
    )
    return bytes(meta.encode())


def system(ts_event: int, msg: str, code: Any, ts_out: int | None = None) -> bytes:
    """A SystemMsg (heartbeat, subscription ack, replay completed, slow reader warning)."""
    return bytes(dbn.SystemMsg(ts_event=ts_event, msg=msg, code=code, **_ts_out(ts_out)))


def error(ts_event: int, err: str, code: Any, ts_out: int | None = None) -> bytes:
    """An ErrorMsg record."""
    return bytes(dbn.ErrorMsg(ts_event=ts_event, err=err, code=code, **_ts_out(ts_out)))


def mapping(
    instrument_id: int,
    ts_event: int,
    stype_in: str,
    symbol_in: str,
    raw: str,
    ts_out: int | None = None,
) -> bytes:
    """A SymbolMappingMsg for `symbol_in` resolving to contract `raw` / `instrument_id`."""
    msg = dbn.SymbolMappingMsg(
        publisher_id=1,
        instrument_id=instrument_id,
        ts_event=ts_event,
        stype_in=dbn.SType(stype_in),
        stype_in_symbol=symbol_in,
        stype_out=dbn.SType.RAW_SYMBOL,  # type: ignore[arg-type]
        stype_out_symbol=raw,
        start_ts=UNDEF_TIMESTAMP,
        end_ts=UNDEF_TIMESTAMP,
        **_ts_out(ts_out),
    )
    return bytes(msg)


def definition(
    instrument_id: int,
    ts_event: int,
    raw_symbol: str,
    asset: str,
    expiration: int,
    min_price_increment: int,
    ts_out: int | None = None,
) -> bytes:
    """An InstrumentDefMsg of a CME-style future (what `definition` subscriptions receive)."""
    msg = dbn.InstrumentDefMsg(
        publisher_id=1,
        instrument_id=instrument_id,
        ts_event=ts_event,
        ts_recv=ts_event,
        min_price_increment=min_price_increment,
        display_factor=1_000_000_000,
        raw_symbol=raw_symbol,
        asset=asset,
        security_type="FUT",
        instrument_class=dbn.InstrumentClass.FUTURE,  # type: ignore[arg-type]
        security_update_action=dbn.SecurityUpdateAction.ADD,  # type: ignore[arg-type]
        expiration=expiration,
        exchange="XCME",
        group=asset,
        currency="USD",
        **_ts_out(ts_out),
    )
    return bytes(msg)


def mbo_bytes(records: MboArray, ts_out: int | None) -> bytes:
    """Wire bytes of MBO records (64-byte records with the send timestamp when ts_out is on)."""
    if ts_out is None:
        return records.tobytes()
    out = np.zeros(records.shape[0], dtype=MBO_TS_OUT_DTYPE)
    for name in MBO_DTYPE.names or ():
        out[name] = records[name]
    out["length"] = MBO_TS_OUT_DTYPE.itemsize // 4
    out["ts_out"] = ts_out
    return out.tobytes()
