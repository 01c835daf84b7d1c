"""Fan-out: a slow subscriber loses frames (counted and reported), the fast one loses none."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from qm_serving.compute.frames import header_text
from qm_serving.settings import ServingSettings
from qm_serving.stream.grid import EncodedBin
from qm_serving.stream.hub import StreamHub
from qm_serving.stream.plan import computer_factory
from qm_serving.stream.producer import StreamEnd, Subscriber
from qm_serving.stream.sources import replay_source
from qm_serving.versions.build import build_published
from qm_serving.versions.schemas import VersionRegister

CONFIGS = Path(__file__).resolve().parents[4] / "configs"


def _spec(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    data: dict[str, Any] = json.loads(json.dumps(loaded, default=str))
    return data


def _make_source() -> Any:
    request = VersionRegister(
        serving=_spec(CONFIGS / "serving" / "qmdemo_vp.yaml"),
        pipeline=_spec(CONFIGS / "pipeline" / "qmdemo_synth_60m.yaml"),
    )
    snapshot = build_published(request, configs_dir=CONFIGS).runtime_snapshot
    source = replay_source(snapshot, data_root=Path("."), minutes=0.25)
    return lambda: (source, computer_factory(snapshot, source.start_ns, source.end_ns))


async def _drain(sub: Subscriber, delay: float) -> list[tuple[int, int]]:
    """(bin_seq, dropped_since_last) of every frame this subscriber receives."""
    received = []
    while not isinstance(item := await sub.get(), StreamEnd):
        assert isinstance(item, EncodedBin)
        header = json.loads(header_text(item.header, sub.take_dropped()))
        received.append((header["bin_seq"], header["dropped_since_last"]))
        await asyncio.sleep(delay)
    return received


async def test_slow_subscriber_drops_frames_while_the_fast_one_gets_every_frame(warm_kernels):
    hub = StreamHub(ServingSettings(serving_pace=10.0, serving_queue_frames=4))
    make_source = _make_source()
    ws = uuid.uuid4()
    subs = [
        hub.subscribe(
            key="k", serving_id="srv", workspace_id=ws, max_streams=4, make_source=make_source
        )
        for _ in range(2)
    ]
    assert len(hub.producers) == 1
    fast, slow = await asyncio.gather(_drain(subs[0], 0.0), _drain(subs[1], 0.06))
    await asyncio.gather(*(hub.unsubscribe(s) for s in subs))
    assert [seq for seq, _ in fast] == list(range(150))
    assert all(dropped == 0 for _, dropped in fast)
    slow_seqs = [seq for seq, _ in slow]
    assert slow_seqs == sorted(set(slow_seqs))
    assert subs[1].dropped_total > 0
    reported = sum(dropped for _, dropped in slow)
    missing = 150 - len(slow_seqs)
    assert reported + subs[1].take_dropped() == subs[1].dropped_total == missing
    assert hub.producers == {}
    assert hub.streams_by_workspace[ws] == 0
