"""Stream planning: from a verified version to its runtime_config, producer key and factories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_engine.gold import GoldState
from qm_engine.params import resolve_tick_int
from qm_serving.compute.frames import arrow_schema
from qm_serving.stream.grid import GridComputer
from qm_serving.stream.hub import SourceFactory
from qm_serving.stream.live import LiveComputer
from qm_serving.stream.producer import ComputerFactory
from qm_serving.stream.runtime_config import PRICE_SCALE, runtime_config
from qm_serving.stream.sources import LiveFeeds, LiveSource, ReplaySource, replay_source
from qm_serving.versions.service import VerifiedVersion
from qm_specs import RuntimeSnapshot


@dataclass(frozen=True)
class StreamPlan:
    """What one subscription needs: the first message and how to start (or share) a producer."""

    key: str
    serving_id: str
    runtime_config: dict[str, Any]
    make_source: SourceFactory


def engine_params(snapshot: RuntimeSnapshot) -> EngineParams:
    """The engine's parameters from the snapshot's resolved engine block."""
    return EngineParams().with_overrides(snapshot.engine.model_dump(mode="json"))


def make_engine(snapshot: RuntimeSnapshot, start_ns: int, end_ns: int | None) -> Engine:
    """A fresh engine for the snapshot's instrument, binning from `start_ns`."""
    return Engine(tick_int_of(snapshot), engine_params(snapshot), start_ns=start_ns, end_ns=end_ns)


def tick_int_of(snapshot: RuntimeSnapshot) -> int:
    """The engine's price level size in 1e-9 units (instrument tick, or the bucket override)."""
    instrument_tick = round(snapshot.instrument.tick_size / PRICE_SCALE)
    return resolve_tick_int(engine_params(snapshot), instrument_tick)


def gold_state(snapshot: RuntimeSnapshot) -> GoldState | None:
    """The incremental gold kernel of the snapshot (None when the stream carries no gold)."""
    if "gold" not in snapshot.serving.stages:
        return None
    params = engine_params(snapshot)
    return GoldState(params, 2 * params.grid_radius_ticks + 1, tick_int_of(snapshot))


def computer_factory(
    snapshot: RuntimeSnapshot, start_ns: int, end_ns: int | None
) -> ComputerFactory:
    """Builds the engine + gold + encoder of one replay producer (run in a worker thread)."""
    fields = [(f.name, f.dtype) for f in snapshot.serving.stream_schema]

    def build() -> GridComputer:
        return GridComputer(
            make_engine(snapshot, start_ns, end_ns),
            gold_state(snapshot),
            arrow_schema(fields),
            PRICE_SCALE,
        )

    return build


def live_computer_factory(
    snapshot: RuntimeSnapshot, start_ns: int, live_from_ns: int
) -> ComputerFactory:
    """Builds the computer of one live producer: catch-up, live edge, a fresh book per contract."""
    fields = [(f.name, f.dtype) for f in snapshot.serving.stream_schema]

    def build() -> GridComputer:
        return LiveComputer(
            make_engine=lambda start: make_engine(snapshot, start, None),
            make_gold=lambda: gold_state(snapshot),
            schema=arrow_schema(fields),
            price_scale=PRICE_SCALE,
            start_ns=start_ns,
            width_ns=engine_params(snapshot).cell_width_ms * 1_000_000,
            live_from_ns=live_from_ns,
        )

    return build


async def _source(
    version: VerifiedVersion, data_root: Path, minutes: float, live: LiveFeeds
) -> ReplaySource | LiveSource:
    snapshot = version.spec.runtime_snapshot
    source = snapshot.pipeline.source
    if source.kind == "live":
        return await live.feed_for(
            version.row.workspace_id,
            source.symbol or snapshot.instrument.symbol,
            source.dataset,
            width_ns=engine_params(snapshot).cell_width_ms * 1_000_000,
        )
    return replay_source(snapshot, data_root=data_root, minutes=minutes)


async def plan_stream(
    version: VerifiedVersion,
    *,
    selector: str,
    data_root: Path,
    replay_minutes: float,
    pace: float,
    live: LiveFeeds,
) -> StreamPlan:
    """The plan of a stream of `version`; Unavailable when its source cannot run here."""
    snapshot = version.spec.runtime_snapshot
    source = await _source(version, data_root, replay_minutes, live)
    session: dict[str, Any] = {
        "source": snapshot.pipeline.source.kind,
        "start_ns": str(source.start_ns),
    }
    make_computer: ComputerFactory
    if isinstance(source, ReplaySource):
        session.update(end_ns=str(source.end_ns), pace=pace)
        make_computer = computer_factory(snapshot, source.start_ns, source.end_ns)
    else:
        session.update(end_ns=None, pace=None, live_from_ns=str(source.live_from_ns))
        make_computer = live_computer_factory(snapshot, source.start_ns, source.live_from_ns)
    return StreamPlan(
        key=f"{version.row.serving_id}|{source.key}",
        serving_id=version.row.serving_id,
        runtime_config=runtime_config(version, selector=selector, session=session),
        make_source=lambda: (source, make_computer),
    )
