"""What one connection's subscriptions select from the script: indices, mappings, replay start."""

from __future__ import annotations

from dataclasses import dataclass, field

import databento_dbn as dbn
import numpy as np

from qm_market.lsg_sim import protocol
from qm_market.lsg_sim.script import MarketScript


@dataclass
class Feed:
    """Merged selection of all MBO subscriptions of a connection, plus the control records."""

    indices: np.ndarray
    preamble: list[bytes] = field(default_factory=list)
    marks: dict[int, bytes] = field(default_factory=dict)
    replay: bool = False
    snapshot_of: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)


def _symbols(subs: list[dict[str, str]]) -> list[tuple[str, str, int | None, bool]]:
    out = []
    for sub in subs:
        if sub.get("schema") != "mbo":
            continue
        start = int(sub["start"]) if sub.get("start") not in (None, "") else None
        for symbol in filter(None, sub.get("symbols", "").split(",")):
            stype = sub.get("stype_in", "raw_symbol")
            out.append((symbol, stype, start, sub.get("snapshot") == "1"))
    return out


def _acks(subs: list[dict[str, str]], now: int) -> list[bytes]:
    code = dbn.SystemCode.SUBSCRIPTION_ACK
    return [
        protocol.system(
            now,
            f"Subscription request {s.get('id', '0')} for {s.get('schema')} data succeeded",
            code,
        )
        for s in subs
    ]


def _definitions(script: MarketScript, subs: list[dict[str, str]], now: int, feed: Feed) -> None:
    """`definition` subscriptions (stype `parent`, e.g. ES.FUT): a mapping and an InstrumentDefMsg
    per listed contract. Definitions are the instruments' current state, sent in full on every
    connection (with `start=` they precede REPLAY_COMPLETED, like a replay)."""
    first = int(script.records["ts_event"][0]) if len(script) else now
    for sub in subs:
        if sub.get("schema") != "definition":
            continue
        stype_in = sub.get("stype_in", "raw_symbol")
        if sub.get("start") not in (None, ""):
            feed.replay = True
        for symbol in filter(None, sub.get("symbols", "").split(",")):
            family = script.family(symbol) if stype_in == "parent" else []
            if stype_in == "raw_symbol" and symbol in script.contracts:
                family = [symbol]
            if not family:
                msg = f"Failed to resolve symbol: {symbol}"
                feed.errors.append(msg)
                code = dbn.ErrorCode.SYMBOL_RESOLUTION_FAILED
                feed.preamble.append(protocol.error(now, msg, code))
                continue
            for raw in family:
                iid = script.contracts[raw]
                feed.preamble.append(protocol.mapping(iid, now, stype_in, symbol, raw))
            for raw in family:
                feed.preamble.append(
                    protocol.definition(
                        script.contracts[raw],
                        first,
                        raw,
                        script.roots.get(raw, raw[:-2]),
                        script.expirations.get(raw, protocol.UNDEF_TIMESTAMP),
                        script.tick_sizes.get(raw, 1),
                    )
                )
                feed.definitions.append(raw)


def build_feed(script: MarketScript, subs: list[dict[str, str]], head: int, now: int) -> Feed:
    """Resolve every subscribed symbol; unresolved ones become SYMBOL_RESOLUTION_FAILED errors."""
    feed = Feed(indices=np.zeros(0, dtype=np.int64), preamble=_acks(subs, now))
    _definitions(script, subs, now, feed)
    parts = []
    ts_event = script.records["ts_event"]
    for symbol, stype_in, start, snapshot in _symbols(subs):
        contract = script.resolve(symbol, head)
        if contract is None:
            msg = f"Failed to resolve symbol: {symbol}"
            feed.errors.append(msg)
            feed.preamble.append(protocol.error(now, msg, dbn.ErrorCode.SYMBOL_RESOLUTION_FAILED))
            continue
        sel = script.selection(symbol)
        if start is not None:
            sel = sel[ts_event[sel] >= start]
            feed.replay = True
        else:
            sel = sel[sel >= head]
            if snapshot:
                feed.snapshot_of.append(script.contracts[contract])
        first = script.resolve(symbol, int(sel[0])) if sel.size else contract
        assert first is not None
        iid = script.contracts[first]
        feed.preamble.append(protocol.mapping(iid, now, stype_in, symbol, first))
        _roll_marks(script, symbol, stype_in, sel, feed, now)
        parts.append(sel)
    if parts:
        feed.indices = np.unique(np.concatenate(parts))
    return feed


def _roll_marks(
    script: MarketScript, symbol: str, stype_in: str, sel: np.ndarray, feed: Feed, now: int
) -> None:
    for start, contract in script.continuous.get(symbol, [])[1:]:
        pos = int(np.searchsorted(sel, start))
        if 0 < pos < sel.size:
            idx = int(sel[pos])
            ts = int(script.records["ts_event"][idx])
            iid = script.contracts[contract]
            feed.marks[idx] = protocol.mapping(iid, ts, stype_in, symbol, contract)
