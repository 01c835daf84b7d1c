"""Market sources of a stream: paced replays of a pinned session, and the live-feed interface."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import httpx
from redis.asyncio import Redis

from qm_core.errors import Invalid, Unavailable
from qm_events.market_stream import LiveSessionFeed
from qm_market.dbn_file import DbnFileSource
from qm_market.envelope import MboArray
from qm_market.instruments import Instrument
from qm_market.synth import SynthSpec, generate
from qm_specs import RuntimeSnapshot

NS_PER_MINUTE = 60_000_000_000
# Small batches keep memory bounded and the first frame fast (a few seconds of market time each).
CHUNK_RECORDS = 1024


@runtime_checkable
class ReplaySource(Protocol):
    """A recorded session: record batches in file order; the producer paces them to the clock."""

    @property
    def key(self) -> str: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def end_ns(self) -> int: ...

    def batches(self) -> Iterator[MboArray]: ...


@runtime_checkable
class LiveSource(Protocol):
    """A live feed (the ingestion service provides it): batches arrive at market speed, unpaced.

    `batches` yields MBO record arrays of one instrument in arrival order until `stop` is set or
    the feed ends; it must not block the event loop. A feed joining a running session starts at
    the session's first records (the book needs them): bins ending at or before `live_from_ns`
    are that catch-up, computed but not sent.
    """

    @property
    def key(self) -> str: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def live_from_ns(self) -> int: ...

    def batches(self, stop: asyncio.Event) -> AsyncIterator[MboArray]: ...


class LiveStreams(Protocol):
    """Which market stream carries a workspace's live session of a symbol (ingestion knows)."""

    async def stream_key(self, workspace_id: uuid.UUID, symbol: str, dataset: str) -> str | None:
        """The Redis stream key of the active session, or None when none runs."""
        ...


class IngestionStreams:
    """`LiveStreams` over ingestion's internal API (`/internal/v1/workspaces/{ws}/live/streams`)."""

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {service_token}"},
        )

    async def stream_key(self, workspace_id: uuid.UUID, symbol: str, dataset: str) -> str | None:
        path = f"/internal/v1/workspaces/{workspace_id}/live/streams"
        try:
            reply = await self._client.get(path, params={"symbol": symbol, "dataset": dataset})
        except httpx.HTTPError as exc:
            raise Unavailable(f"ingestion unreachable: {exc}") from exc
        if reply.status_code == 404:
            return None
        if not reply.is_success:
            raise Unavailable(f"ingestion answered {reply.status_code} for {path}")
        return str(reply.json()["stream_key"])

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass
class LiveFeeds:
    """Opens the live feed of a workspace's running ingestion session of a symbol."""

    streams: LiveStreams
    redis: Redis

    async def feed_for(
        self, workspace_id: uuid.UUID, symbol: str, dataset: str, *, width_ns: int
    ) -> LiveSessionFeed:
        """The session's feed, bins starting at its first flowing bin (Unavailable otherwise)."""
        key = await self.streams.stream_key(workspace_id, symbol, dataset)
        if key is None:
            raise Unavailable(
                f"no live session of {symbol} on {dataset} is running in this workspace "
                "(start one with POST /v1/ingestion/live/sessions)"
            )
        feed = await LiveSessionFeed.open(self.redis, key, width_ns=width_ns)
        if feed is None:
            raise Unavailable(f"the live session of {symbol} has not delivered market data yet")
        return feed


@dataclass(frozen=True)
class SyntheticReplay:
    """The deterministic synthetic session of the pipeline (qm_market.synth)."""

    spec: SynthSpec
    key: str
    start_ns: int
    end_ns: int

    def batches(self) -> Iterator[MboArray]:
        return generate(self.spec, chunk_rows=CHUNK_RECORDS)


@dataclass(frozen=True)
class DbnReplay:
    """A pinned session window of a recorded .dbn / .dbn.zst file."""

    path: Path
    symbol: str
    key: str
    start_ns: int
    end_ns: int

    def batches(self) -> Iterator[MboArray]:
        source = DbnFileSource(
            self.path,
            symbol=self.symbol,
            start_ns=self.start_ns,
            end_ns=self.end_ns,
            chunk_bytes=56 * CHUNK_RECORDS,
        )
        return source.iter_records()


def session_window(snapshot: RuntimeSnapshot, minutes: float = 0.0) -> tuple[int, int]:
    """UTC ns of the capture start and end (`minutes` > 0 shortens the window)."""
    cap = snapshot.pipeline.capture
    zone = ZoneInfo(cap.timezone)

    def at(hhmm: str) -> int:
        wall = datetime.combine(cap.date, time.fromisoformat(hhmm), tzinfo=zone)
        return int(wall.timestamp()) * 1_000_000_000

    start, end = at(cap.start_time), at(cap.end_time)
    if minutes > 0:
        end = min(end, start + int(minutes * NS_PER_MINUTE))
    return start, end


def _market_instrument(snapshot: RuntimeSnapshot) -> Instrument:
    data = snapshot.instrument.model_dump(mode="json", exclude={"spec_version"})
    return Instrument.model_validate(data)


def replay_source(
    snapshot: RuntimeSnapshot, *, data_root: Path, minutes: float = 0.0
) -> ReplaySource:
    """The replay of the snapshot's pinned session (Invalid for live pipelines)."""
    source = snapshot.pipeline.source
    start, end = session_window(snapshot, minutes)
    symbol = snapshot.instrument.symbol
    if source.kind == "synthetic":
        cap = snapshot.pipeline.capture
        spec = SynthSpec(
            instrument=_market_instrument(snapshot),
            day=cap.date,
            start=cap.start_time,
            minutes=(end - start) / NS_PER_MINUTE,
            seed=source.seed,
        )
        return SyntheticReplay(spec, f"synthetic:{symbol}:{source.seed}:{start}:{end}", start, end)
    if source.kind == "dbn_file":
        path = data_root / source.path
        if not path.is_file():
            raise Unavailable(f"recorded session {source.path} is not in the data root")
        return DbnReplay(path, symbol, f"dbn:{source.path}:{symbol}:{start}:{end}", start, end)
    raise Invalid(f"pipeline source {source.kind!r} is not a replay")
