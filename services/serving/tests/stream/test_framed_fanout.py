"""Fan-out through the framed-write protocol over real sockets: a reader that stalls loses frames
(counted, reported in the next header, order kept) while a fast one on the same producer gets
every frame; the direct writes and the queued pump never reorder a socket's frames."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from qm_serving.compute.frames import decode_frame
from qm_serving.stream.wsserver import FramedWebSockets

CONFIGS = Path(__file__).resolve().parents[4] / "configs"
BINS = 150  # 15 s of market time at 100 ms bins


class SmallSendBuffers(FramedWebSockets):
    """The framed protocol on sockets with a small kernel send buffer (a slow network path):
    a stalled reader backs the server up within a few frames instead of a few megabytes."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        super().connection_made(transport)


@pytest.fixture(scope="module")
async def framed(
    stream_db: str, serve: Callable[..., Any], register_on: Callable[..., Any], warm_kernels: None
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A framed-protocol server with tiny subscriber queues; yields (stream url, headers)."""
    async with serve(
        stream_db, ws=SmallSendBuffers, serving_pace=3.0, serving_queue_frames=4
    ) as server:
        ws = server.workspace(alice="editor")
        await register_on(server, ws, "alice", alias="fan")
        yield f"{server.ws_url}?serving=fan", server.headers("alice", ws)


async def _read(sock: Any, stall_s: float = 0.0) -> list[tuple[int, int]]:
    """(bin_seq, dropped_since_last) of every grid update until the end message."""
    assert json.loads(await sock.recv())["type"] == "runtime_config"
    await asyncio.sleep(stall_s)
    seen = []
    try:
        while True:
            message = json.loads(await sock.recv())
            if message["type"] == "end":
                return seen
            assert message["type"] == "grid_update", message
            frame = await sock.recv()
            assert isinstance(frame, bytes)
            assert decode_frame(frame).num_rows > 0
            seen.append((int(message["bin_seq"]), int(message["dropped_since_last"])))
    except websockets.ConnectionClosedOK:
        return seen


def _small_buffer_socket() -> socket.socket:
    # a small receive window, so a stalled reader backs the server up within a few frames
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    return sock


async def test_a_stalled_reader_drops_counted_frames_while_a_fast_one_gets_every_frame(framed):
    url, headers = framed
    host_port = url.split("/")[2].split(":")
    slow_sock = _small_buffer_socket()
    await asyncio.get_running_loop().sock_connect(slow_sock, (host_port[0], int(host_port[1])))
    async with (
        connect(url, additional_headers=headers, max_size=None) as fast,
        connect(
            url, additional_headers=headers, max_size=None, sock=slow_sock, max_queue=1
        ) as slow,
    ):
        fast_seen, slow_seen = await asyncio.gather(_read(fast), _read(slow, stall_s=1.5))
    assert [seq for seq, _ in fast_seen] == list(range(BINS))
    assert all(dropped == 0 for _, dropped in fast_seen)
    seqs = [seq for seq, _ in slow_seen]
    assert seqs == sorted(set(seqs))  # never reordered, never repeated
    # every frame lost after the first one received is reported in the next header it gets
    for (prev, _), (seq, dropped) in itertools.pairwise(slow_seen):
        assert seq - prev - 1 == dropped
    assert sum(dropped for _, dropped in slow_seen) > 0
