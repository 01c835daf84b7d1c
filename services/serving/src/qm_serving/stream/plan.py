"""Stream planning: from a verified version to its runtime_config, producer key and factories."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qm_core.errors import Unavailable
from qm_engine.engine import Engine
from qm_engine.fields import EngineParams
from qm_engine.params import resolve_tick_int
from qm_serving.compute.frames import arrow_schema
from qm_serving.stream.grid import GridComputer
from qm_serving.stream.hub import SourceFactory
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
    params = engine_params(snapshot)
    tick_int = resolve_tick_int(params, round(snapshot.instrument.tick_size / PRICE_SCALE))
    return Engine(tick_int, params, start_ns=start_ns, end_ns=end_ns)


def gold_stepper(snapshot: RuntimeSnapshot) -> Any:
    """The engine's incremental gold kernel for this snapshot (None for silver-only models)."""
    if "gold" not in snapshot.serving.stages:
        return None
    try:
        gold = importlib.import_module("qm_engine.gold")
    except ImportError as exc:
        raise Unavailable("the engine's gold kernel is not installed") from exc
    params = engine_params(snapshot)
    return gold.GoldStepper(params, rows=2 * params.grid_radius_ticks + 1)


def computer_factory(
    snapshot: RuntimeSnapshot, start_ns: int, end_ns: int | None
) -> ComputerFactory:
    """Builds the engine + gold + encoder of one producer (run in a worker thread)."""
    fields = [(f.name, f.dtype) for f in snapshot.serving.stream_schema]

    def build() -> GridComputer:
        return GridComputer(
            make_engine(snapshot, start_ns, end_ns),
            gold_stepper(snapshot),
            arrow_schema(fields),
            PRICE_SCALE,
        )

    return build


def _source(
    snapshot: RuntimeSnapshot, data_root: Path, minutes: float, live: LiveFeeds
) -> ReplaySource | LiveSource:
    if snapshot.pipeline.source.kind == "live":
        return live.feed_for(snapshot.instrument.symbol)
    return replay_source(snapshot, data_root=data_root, minutes=minutes)


def plan_stream(
    version: VerifiedVersion,
    *,
    selector: str,
    data_root: Path,
    synthetic_minutes: float,
    pace: float,
    live: LiveFeeds,
) -> StreamPlan:
    """The plan of a stream of `version`; Unavailable when its source cannot run here."""
    snapshot = version.spec.runtime_snapshot
    source = _source(snapshot, data_root, synthetic_minutes, live)
    end_ns = source.end_ns if isinstance(source, ReplaySource) else None
    session = {
        "source": snapshot.pipeline.source.kind,
        "start_ns": str(source.start_ns),
        "end_ns": None if end_ns is None else str(end_ns),
        "pace": pace,
    }
    make_computer = computer_factory(snapshot, source.start_ns, end_ns)
    return StreamPlan(
        key=f"{version.row.serving_id}|{source.key}",
        serving_id=version.row.serving_id,
        runtime_config=runtime_config(version, selector=selector, session=session),
        make_source=lambda: (source, make_computer),
    )
