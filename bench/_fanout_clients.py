"""Fan-out bench clients (bench/serving.py): one worker process holds a share of the subscribers.

Two readers: the `websockets` library client and a lean RFC 6455 reader (one asyncio Protocol per
socket, no per-message objects), so the client side costs less CPU than the server it measures.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from websockets.asyncio.client import connect


@dataclass
class Viewer:
    """What one subscriber saw inside the measurement window."""

    delays_ms: list[float] = field(default_factory=list)
    dropped: int = 0
    frame_bytes: int = 0
    connected: bool = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def watch_websockets(
    url: str, headers: dict[str, str], viewer: Viewer, window: dict[str, bool], compress: bool
) -> None:
    # no permessage-deflate by default: the server has it off (browsers offer it; see the ADR)
    options: dict[str, Any] = {} if compress else {"compression": None}
    async with connect(
        url, additional_headers=headers, max_size=None, open_timeout=120, **options
    ) as ws:
        await ws.recv()  # runtime_config
        viewer.connected = True
        async for message in ws:
            now = time.time_ns()
            if not window["on"]:
                continue
            if isinstance(message, bytes):
                viewer.frame_bytes = len(message)
                continue
            header = json.loads(message)
            viewer.delays_ms.append((now - int(header["emitted_at_ns"])) / 1e6)
            viewer.dropped += int(header["dropped_since_last"])


class LeanViewer(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455, no extensions) that timestamps each message as its
    bytes arrive: far less client CPU per message than a full client library, so the figure is
    the server's fan-out rather than the client's parsing. Answers pings; checks the contract
    (runtime_config first, then header/frame pairs)."""

    def __init__(self, path: str, headers: dict[str, str], viewer: Viewer, window: dict[str, bool]):
        self.path, self.headers, self.viewer, self.window = path, headers, viewer, window
        self.buf = bytearray()
        self.open = False
        self.expect = "config"
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def _send(self, opcode: int, payload: bytes) -> None:
        # client frames are masked (RFC 6455 5.3); only small control frames are sent
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None
        assert len(payload) < 126
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"handshake refused: {bytes(buf[:80])!r}")
            del buf[: end + 4]
            self.open = True
        while len(buf) >= 2:
            opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, at = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, at = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < at + n:
                return
            payload = bytes(buf[at : at + n])
            del buf[: at + n]
            self._message(opcode, payload, now)

    def _message(self, opcode: int, payload: bytes, now: int) -> None:
        viewer = self.viewer
        if opcode == 0x9:  # ping
            self._send(0xA, payload)
        elif opcode == 0x8:  # close
            if self.transport is not None:
                self.transport.close()
        elif opcode == 0x1:
            message = json.loads(payload)
            if self.expect == "config":
                assert message["type"] == "runtime_config", message
                viewer.connected, self.expect = True, "header"
                return
            assert self.expect == "header", message
            assert message["type"] == "grid_update", message
            self.expect = "frame"
            if self.window["on"]:
                viewer.delays_ms.append((now - int(message["emitted_at_ns"])) / 1e6)
                viewer.dropped += int(message["dropped_since_last"])
        elif opcode == 0x2:
            assert self.expect == "frame"
            self.expect = "header"
            if self.window["on"]:
                viewer.frame_bytes = len(payload)


async def watch_lean(
    url: str, headers: dict[str, str], viewer: Viewer, window: dict[str, bool]
) -> None:
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}"
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: LeanViewer(path, headers, viewer, window),
        parts.hostname or "127.0.0.1",
        parts.port or 80,
    )
    try:
        await protocol.closed
    finally:
        transport.close()


async def run_clients(
    url: str, headers: dict[str, str], n: int, seconds: float, client: str, conn: Connection
) -> None:
    """One client process: connect n viewers, report ready, measure after "go", report."""
    viewers, window = [Viewer() for _ in range(n)], {"on": False}
    tasks = []
    for i, viewer in enumerate(viewers):
        if client == "lean":
            watch = watch_lean(url, headers, viewer, window)
        else:
            watch = watch_websockets(
                url, headers, viewer, window, compress=client == "websockets-deflate"
            )
        tasks.append(asyncio.create_task(watch))
        if i % 25 == 24:
            await asyncio.sleep(0.1)  # ramp up instead of a SYN flood
    for _ in range(600):  # up to 2 minutes for every subscriber to get its runtime_config
        if all(v.connected for v in viewers):
            break
        await asyncio.sleep(0.2)
    conn.send(sum(v.connected for v in viewers))
    await asyncio.to_thread(conn.recv)  # "go"
    cpu0 = time.process_time()
    window["on"] = True
    await asyncio.sleep(seconds)
    window["on"] = False
    cpu = time.process_time() - cpu0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(
        {
            "cpu_s": cpu,
            "viewers": [
                (np.asarray(v.delays_ms, dtype=np.float64), v.dropped, v.frame_bytes, v.connected)
                for v in viewers
            ],
        }
    )


def client_process(
    url: str, headers: dict[str, str], n: int, seconds: float, client: str, conn: Connection
) -> None:
    """Entry point of a client worker process."""
    asyncio.run(run_clients(url, headers, n, seconds, client, conn))
