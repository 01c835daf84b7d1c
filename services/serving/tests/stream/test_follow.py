"""Open streams of an alias follow its moves (activate, rollback); pinned serving ids do not."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import websockets
import yaml
from websockets.asyncio.client import connect

from qm_serving.compute.frames import ARROW_TYPES, decode_frame
from qm_serving.stream.grid import EncodedBin
from qm_serving.stream.producer import Retarget, StreamEnd, Subscriber
from qm_serving.stream.wsserver import FramedWebSockets, FramedWriter

CONFIGS = Path(__file__).resolve().parents[4] / "configs"


@pytest.fixture(scope="module")
async def live(
    stream_db: str, serve: Callable[..., Any], warm_kernels: None, data_root: Path
) -> AsyncIterator[Any]:
    """The deployments' ws protocol (pre-framed writes), a slow replay (streams outlive the
    moves) and a fast alias poll; overrides the shared `live`, which `publish` uses."""
    async with serve(
        stream_db,
        ws=FramedWebSockets,
        serving_pace=2.0,
        serving_replay_minutes=2.0,
        serving_data_root=str(data_root),
        serving_alias_poll_s=0.05,
    ) as server:
        yield server


async def _next(sock: Any, within: float = 20.0) -> Any:
    message = await asyncio.wait_for(sock.recv(), within)
    return message if isinstance(message, bytes) else json.loads(message)


async def _until_config(sock: Any) -> tuple[dict[str, Any], list[int]]:
    """Read frames until the next runtime_config; the bin_seqs of the grid updates before it."""
    deadline, seqs = time.monotonic() + 20.0, []
    while True:
        message = await _next(sock, max(0.1, deadline - time.monotonic()))
        if isinstance(message, dict) and message["type"] == "runtime_config":
            return message, seqs
        if isinstance(message, dict):
            assert message["type"] == "grid_update", message
            seqs.append(int(message["bin_seq"]))


def _declared(config: dict[str, Any]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(f["name"], ARROW_TYPES[f["dtype"]], nullable=False)
            for f in config["grid_schema_fields"]
        ]
    )


async def _updates(sock: Any, config: dict[str, Any], n: int) -> list[int]:
    """n grid updates of the version `config` announced: each frame matches its schema."""
    seqs = []
    for _ in range(n):
        header, frame = await _next(sock), await _next(sock)
        assert header["type"] == "grid_update"
        assert isinstance(frame, bytes)
        assert decode_frame(frame).schema.equals(_declared(config))
        seqs.append(int(header["bin_seq"]))
    assert seqs == sorted(set(seqs))
    return seqs


async def _move(live: Any, ws: uuid.UUID, alias: str, body: dict[str, str]) -> None:
    verb = "activate" if "serving_id" in body else "rollback"
    moved = await live.http.post(
        f"/v1/serving/aliases/{alias}/{verb}", json=body, headers=live.headers("alice", ws)
    )
    assert moved.status_code == 200, moved.text


async def test_an_open_stream_follows_activation_and_rollback_of_its_alias(
    live, publish, monkeypatch
):
    framed_writes = []
    write = FramedWriter.write

    def counting(self: FramedWriter, data: bytes) -> bool:
        framed_writes.append(len(data))
        return write(self, data)

    monkeypatch.setattr(FramedWriter, "write", counting)
    ws = live.workspace(alice="editor", vera="viewer")
    v1 = await publish(ws, "alice", serving="qmdemo_vp", alias="follow")
    v2 = await publish(ws, "alice", serving="qmdemo_silver", alias="staging")
    assert v1 != v2
    url = f"{live.ws_url}?serving=follow"
    async with connect(url, additional_headers=live.headers("vera", ws)) as sock:
        first = await _next(sock)
        assert first["type"] == "runtime_config"
        assert (first["serving_id"], first["epoch"], first["previous_serving_id"]) == (v1, 0, None)
        before = await _updates(sock, first, 3)

        await _move(live, ws, "follow", {"serving_id": v2, "reason": "ship silver"})
        moved, tail = await _until_config(sock)
        assert moved["serving_id"] == v2
        assert (moved["epoch"], moved["previous_serving_id"]) == (1, v1)
        assert moved["selector"] == "follow"
        assert _declared(moved) != _declared(first)
        # frames queued before the move were still the old version's, in order
        assert before + tail == sorted(set(before + tail))
        await _updates(sock, moved, 3)
        producers = live.app.state.hub.producers
        assert [p.serving_id for p in producers.values()] == [v2]

        await _move(live, ws, "follow", {"reason": "silver misbehaves"})
        back, _ = await _until_config(sock)
        assert back["serving_id"] == v1
        assert (back["epoch"], back["previous_serving_id"]) == (2, v2)
        await _updates(sock, back, 3)
    # the frames went out as the producer's pre-framed bytes, one write per bin
    assert len(framed_writes) >= 9
    for _ in range(100):
        if not live.app.state.hub.producers and not live.app.state.hub.following:
            break
        await asyncio.sleep(0.05)
    assert live.app.state.hub.producers == {}
    assert live.app.state.hub.following == {}


async def test_a_stream_of_a_pinned_serving_id_does_not_follow_the_alias(live, publish):
    ws = live.workspace(alice="editor")
    v1 = await publish(ws, "alice", serving="qmdemo_vp", alias="pinned")
    v2 = await publish(ws, "alice", serving="qmdemo_silver", alias="pinned-next")
    url = f"{live.ws_url}?serving={v1}"
    async with connect(url, additional_headers=live.headers("alice", ws)) as sock:
        first = await _next(sock)
        assert first["serving_id"] == v1
        await _move(live, ws, "pinned", {"serving_id": v2, "reason": "not for pinned viewers"})
        await asyncio.sleep(0.5)  # ten alias polls
        types = []
        for _ in range(20):
            message = await _next(sock)
            if isinstance(message, dict):
                types.append(message["type"])
        assert set(types) == {"grid_update"}


async def _register_missing_recording(live: Any, ws: uuid.UUID) -> str:
    """A version whose recorded session is not in the data root: registers, cannot stream."""

    def spec(path: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)
        )
        return data

    body = spec(CONFIGS / "serving" / "qmdemo_silver.yaml")
    pipeline = spec(CONFIGS / "pipeline" / f"{body['pipeline']}.yaml")
    pipeline["source"] = {"kind": "dbn_file", "path": "not-recorded-here.dbn"}
    response = await live.http.post(
        "/v1/serving/versions",
        json={"serving": body, "pipeline": pipeline},
        headers=live.headers("alice", ws),
    )
    assert response.status_code in (200, 201), response.text
    serving_id: str = response.json()["serving_id"]
    return serving_id


async def test_followers_of_an_alias_moved_to_an_unstreamable_version_are_closed(live, publish):
    ws = live.workspace(alice="editor")
    await publish(ws, "alice", serving="qmdemo_vp", alias="doomed")
    missing = await _register_missing_recording(live, ws)
    url = f"{live.ws_url}?serving=doomed"
    async with connect(url, additional_headers=live.headers("alice", ws)) as sock:
        assert (await _next(sock))["type"] == "runtime_config"
        await _move(live, ws, "doomed", {"serving_id": missing, "reason": "bad move"})
        messages = []
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                messages.append(await _next(sock))
        error = messages[-1]
        assert error["type"] == "error"
        assert "alias doomed moved" in error["message"]
        assert "not-recorded-here.dbn" in error["message"]
        assert sock.close_code == 1008


def _bin(seq: int) -> EncodedBin:
    return EncodedBin(bin_seq=seq, bin_end_ns=seq, header="{", frame=b"", text="{}")


async def test_a_full_queue_drops_frames_but_never_an_announcement_or_the_end():
    sub = Subscriber(workspace_id=uuid.uuid4(), maxsize=2)
    sub.offer(_bin(0))
    sub.offer(Retarget({"type": "runtime_config"}, "srv_b"))
    for seq in range(1, 5):
        sub.offer(_bin(seq))
    sub.offer(StreamEnd("done"))
    items = [await sub.get() for _ in range(len(sub))]
    assert [type(i).__name__ for i in items] == [
        "Retarget",
        "EncodedBin",
        "EncodedBin",
        "StreamEnd",
    ]
    assert [i.bin_seq for i in items if isinstance(i, EncodedBin)] == [3, 4]
    assert sub.dropped_total == 3 == sub.take_dropped()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_pre_framed_bytes_parse_as_websocket_frames(size):
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    from qm_serving.compute.frames import wire_pair

    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    reader = StreamReader()
    reader.feed_data(wire_pair('{"type":"grid_update"}', payload))
    frames = []
    for _ in range(2):
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
    assert [(f.opcode, f.fin) for f in frames] == [(Opcode.TEXT, True), (Opcode.BINARY, True)]
    assert frames[0].data == b'{"type":"grid_update"}'
    assert frames[1].data == payload


async def test_direct_writes_only_when_nothing_is_ahead_of_the_bin():
    written: list[bytes] = []
    paused = False

    def write(data: bytes) -> bool:
        if paused:
            return False
        written.append(data)
        return True

    sub = Subscriber(workspace_id=uuid.uuid4(), maxsize=1)
    assert not sub.try_direct(b"a")  # no socket attached yet (runtime_config not sent)
    sub.direct = write
    assert sub.try_direct(b"a")
    paused = True
    assert not sub.try_direct(b"b")  # backpressure: the producer queues it instead
    sub.offer(_bin(1))
    paused = False
    assert not sub.try_direct(b"c")  # a queued bin is ahead of it
    sub.offer(_bin(2))  # drops bin 1 (maxsize 1)
    assert isinstance(sub.take(), EncodedBin)
    assert not sub.try_direct(b"d")  # a drop waits to be reported in a header
    assert sub.take_dropped() == 1
    sub.sending = True
    assert not sub.try_direct(b"e")  # the pump is mid-send
    sub.sending = False
    assert sub.try_direct(b"f")
    assert written == [b"a", b"f"]
