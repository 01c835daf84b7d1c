"""The live path of the market envelope: records into a Redis Stream per session, and back.

Ingestion writes (`StreamWriter`); downstream readers get envelope batches (`LiveStreamSource`)
or plain record arrays (`LiveSessionFeed`, the shape of serving's live source). DESIGN.md §4.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from redis.asyncio import Redis

from qm_market.envelope import F_SNAPSHOT, MBO_DTYPE, Cursor, MarketBatch, MboArray, SourceInfo

# Stream entry fields (all bytes): kind=batch|roll|end, records (raw 56-byte DBN MBO records),
# symbols {iid: raw symbol}, cursors {iid: [ts_event, ordinal]}, current (iid), seq (records
# delivered so far), t_rx/t_pub (wall ns: first receipt, publish), dataset, session.
STREAM_MAXLEN = 200_000


def stream_key(namespace: str, session_id: str) -> str:
    """Redis key of a session's market stream."""
    return f"{namespace}:ingestion:live:{session_id}"


@dataclass(frozen=True)
class StreamState:
    """What the last entry of a stream says was delivered (the exact-once resume point)."""

    cursors: dict[int, Cursor]
    current: int | None
    seq: int
    ended: bool


def _cursors_json(cursors: Mapping[int, Cursor]) -> str:
    return json.dumps({str(k): [c.ts_event, c.ordinal] for k, c in cursors.items()})


def _cursors(raw: bytes | None) -> dict[int, Cursor]:
    data = json.loads(raw or b"{}")
    return {int(k): Cursor(int(v[0]), int(v[1])) for k, v in data.items()}


class StreamWriter:
    """Appends envelope entries to one session's stream; each entry carries the resume cursor."""

    def __init__(self, redis: Redis, key: str, *, session_id: str, dataset: str) -> None:
        self.redis, self.key = redis, key
        self._common = {"session": session_id, "dataset": dataset}

    async def _add(self, fields: dict[str, Any]) -> None:
        fields.update(self._common, t_pub=time.time_ns())
        await self.redis.xadd(self.key, fields, maxlen=STREAM_MAXLEN, approximate=True)  # type: ignore[arg-type]

    async def publish(
        self,
        records: MboArray,
        *,
        symbols: Mapping[int, str],
        cursors: Mapping[int, Cursor],
        current: int | None,
        seq: int,
        t_rx: int,
    ) -> None:
        """One batch of newly delivered records (never empty)."""
        await self._add(
            {
                "kind": "batch",
                "records": records.tobytes(),
                "symbols": json.dumps({str(k): v for k, v in symbols.items()}),
                "cursors": _cursors_json(cursors),
                "current": -1 if current is None else current,
                "seq": seq,
                "t_rx": t_rx,
            }
        )

    async def roll(
        self,
        *,
        from_id: int,
        to_id: int,
        symbols: Mapping[int, str],
        cursors: Mapping[int, Cursor],
        seq: int,
    ) -> None:
        """A contract switch: consumers reset the book before the next batch."""
        await self._add(
            {
                "kind": "roll",
                "records": b"",
                "from_id": from_id,
                "to_id": to_id,
                "symbols": json.dumps({str(k): v for k, v in symbols.items()}),
                "cursors": _cursors_json(cursors),
                "current": to_id,
                "seq": seq,
                "t_rx": 0,
            }
        )

    async def end(
        self, status: str, *, cursors: Mapping[int, Cursor], current: int | None, seq: int
    ) -> None:
        """The session is over (stopped or failed): readers stop after this entry."""
        await self._add(
            {
                "kind": "end",
                "records": b"",
                "status": status,
                "symbols": "{}",
                "cursors": _cursors_json(cursors),
                "current": -1 if current is None else current,
                "seq": seq,
                "t_rx": 0,
            }
        )


async def stream_state(redis: Redis, key: str) -> StreamState | None:
    """The resume point recorded by the newest entry (None for an empty stream)."""
    last = await redis.xrevrange(key, count=1)
    if not last:
        return None
    fields = last[0][1]
    current = int(fields[b"current"])
    return StreamState(
        cursors=_cursors(fields.get(b"cursors")),
        current=None if current < 0 else current,
        seq=int(fields[b"seq"]),
        ended=fields[b"kind"] == b"end",
    )


def decode_entry(entry_id: bytes, fields: Mapping[bytes, bytes], key: str) -> MarketBatch:
    """One stream entry as a MarketBatch (roll/end entries carry no records)."""
    records = np.frombuffer(fields[b"records"], dtype=MBO_DTYPE)
    cursors = _cursors(fields.get(b"cursors"))
    current = int(fields[b"current"])
    cursor = cursors.get(current, Cursor(0, -1))
    kind = fields[b"kind"].decode()
    extra = {
        "seq": int(fields[b"seq"]),
        "t_pub": int(fields[b"t_pub"]),
        "t_rx": int(fields[b"t_rx"]),
        kind: 1,
    }
    if kind == "roll":
        extra.update(from_instrument=int(fields[b"from_id"]), to_instrument=int(fields[b"to_id"]))
    symbols = {int(k): v for k, v in json.loads(fields[b"symbols"]).items()}
    source = SourceInfo(
        "live", f"redis:{key}#{entry_id.decode()}", fields[b"dataset"].decode(), "mbo"
    )
    return MarketBatch(records, symbols, source, cursor, extra)


class LiveStreamSource:
    """Reads one session's stream from `after` (exclusive) and yields its envelope batches.

    Batches carry `extra["roll"]` on a contract switch (reset the book) and the stream ends at
    the session's `end` entry. `position` is the last entry id read (resume a reader there).
    """

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        after: str = "0-0",
        block_ms: int = 500,
        stop_at_end: bool = True,
    ) -> None:
        self.redis, self.key = redis, key
        self.position = after
        self.block_ms, self.stop_at_end = block_ms, stop_at_end

    async def entries(
        self, stop: asyncio.Event | None = None
    ) -> AsyncIterator[tuple[bytes, Mapping[bytes, bytes]]]:
        """Raw entries in stream order (advancing `position`), until the end entry or `stop`."""
        while stop is None or not stop.is_set():
            reply = await self.redis.xread({self.key: self.position}, count=64, block=self.block_ms)
            for _key, entries in reply or []:
                for entry_id, fields in entries:
                    self.position = entry_id.decode()
                    if fields[b"kind"] == b"end" and self.stop_at_end:
                        return
                    yield entry_id, fields

    async def batches(self) -> AsyncIterator[MarketBatch]:
        """Envelope batches in stream order (records, roll markers), until the end entry."""
        async for entry_id, fields in self.entries():
            yield decode_entry(entry_id, fields, self.key)

    def __aiter__(self) -> AsyncIterator[MarketBatch]:
        return self.batches()


@dataclass(frozen=True)
class FeedWindow:
    """Where a feed starts: the first record's ts_event and the newest delivered ts_event."""

    first_ts_event: int
    live_from_ns: int


async def feed_window(redis: Redis, key: str, *, scan: int = 256) -> FeedWindow | None:
    """The first non-snapshot record time and the newest cursor (None before such a record)."""
    first: int | None = None
    position = "-"
    while first is None:
        entries = await redis.xrange(key, min=position, count=scan)
        if not entries:
            return None
        for _entry_id, fields in entries:
            if fields[b"kind"] != b"batch" or not fields[b"records"]:
                continue
            records = np.frombuffer(fields[b"records"], dtype=MBO_DTYPE)
            # snapshot records carry the resting orders' own times: bins start at market flow
            flowing = records["ts_event"][(records["flags"] & F_SNAPSHOT) == 0]
            if flowing.size:
                first = int(flowing[0])
                break
        position = "(" + entries[-1][0].decode()
    state = await stream_state(redis, key)
    newest = max((c.ts_event for c in state.cursors.values()), default=first) if state else first
    return FeedWindow(first, max(first, newest))


class LiveSessionFeed:
    """serving's `LiveSource` over one session's stream: MBO arrays, unpaced, until `stop`.

    It reads from the start of the stream, so a consumer that joins a running session rebuilds
    the full book (catch-up) before it reaches the newest records (`live_from_ns`, from
    `feed_window`). A roll needs no extra signal here: the new contract's records start with a
    Clear, so a book fed from these arrays resets at the switch (`rolls` counts the switches).
    """

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        start_ns: int = 0,
        live_from_ns: int = 0,
        after: str = "0-0",
    ) -> None:
        self.redis, self._key, self._start_ns = redis, key, start_ns
        self.live_from_ns = live_from_ns
        self.reader = LiveStreamSource(redis, key, after=after, block_ms=200)
        self.rolls = 0

    @classmethod
    async def open(cls, redis: Redis, key: str, *, width_ns: int) -> LiveSessionFeed | None:
        """A feed whose bins start at the first record's bin (None while the stream is empty)."""
        window = await feed_window(redis, key)
        if window is None:
            return None
        start = window.first_ts_event - window.first_ts_event % width_ns
        return cls(redis, key, start_ns=start, live_from_ns=window.live_from_ns)

    @property
    def key(self) -> str:
        """The Redis stream key (also the feed's identity)."""
        return self._key

    @property
    def start_ns(self) -> int:
        """Where bins start: the first record's bin (0 when not opened from the stream)."""
        return self._start_ns

    async def batches(self, stop: asyncio.Event) -> AsyncIterator[MboArray]:
        """Record arrays in arrival order until `stop` is set or the session ends."""
        async for _entry_id, fields in self.reader.entries(stop):
            if fields[b"kind"] == b"roll":
                self.rolls += 1
            elif fields[b"records"]:
                yield np.frombuffer(fields[b"records"], dtype=MBO_DTYPE)
