"""SimGateway: an asyncio Databento live gateway serving a scripted market, with faults."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
import threading
import time

import databento_dbn as dbn
import numpy as np

from qm_market.lsg_sim import protocol
from qm_market.lsg_sim.faults import ConnectionLog, Fault, FaultKind, FaultQueue
from qm_market.lsg_sim.feed import Feed, build_feed
from qm_market.lsg_sim.script import MarketScript
from qm_market.lsg_sim.snapshot import snapshot_records

CHUNK = 4096
TICK_S = 0.005
LINE_TIMEOUT_S = 30.0


class SimGateway:
    """Serves `script` to the real databento client; the script plays at `rate` records/s."""

    def __init__(
        self,
        script: MarketScript,
        *,
        keys: list[str],
        rate: float = 20_000.0,
        host: str = "127.0.0.1",
        port: int = 0,
        autoplay: bool = True,
    ) -> None:
        self.script = script
        self.keys = frozenset(keys)
        self.rate = rate
        self.host, self.port = host, port
        self.faults = FaultQueue()
        self.connections: list[ConnectionLog] = []
        self._ids = itertools.count(1)
        self._t0: float | None = time.monotonic() if autoplay else None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- clock -------------------------------------------------------------------------------
    def play(self) -> None:
        """Start the script clock (when built with autoplay=False)."""
        if self._t0 is None:
            self._t0 = time.monotonic()

    def head(self) -> int:
        """How many script records have 'happened' so far."""
        if self._t0 is None:
            return 0
        return min(len(self.script), int((time.monotonic() - self._t0) * self.rate))

    def now_ns(self) -> int:
        """Script time now: ts_event of the last record that happened (script start before).

        It is the session's Metadata.start, so a replay from it covers every live record.
        """
        recs = self.script.records
        head = self.head()
        return int(recs["ts_event"][head - 1] if head else recs["ts_event"][0])

    # --- control -----------------------------------------------------------------------------
    def inject(self, kind: FaultKind, at_record: int | None = None) -> None:
        """Queue a one-shot fault (now, or before the first record with script index >= at)."""
        self.faults.add(Fault(kind, at_record))

    def served(self) -> np.ndarray:
        """Script indices served over every connection, in connection order."""
        parts = [c.served() for c in self.connections]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    async def start(self) -> int:
        """Listen on the running loop; returns the bound port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def start_in_thread(self) -> int:
        """Run the gateway on its own event loop thread; returns the port."""
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.close()

        self._thread = threading.Thread(target=run, name="lsg-sim", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.port

    def stop_thread(self) -> None:
        """Stop the thread started by start_in_thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --- connection --------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        log = ConnectionLog(conn_id=next(self._ids))
        self.connections.append(log)
        try:
            await self._serve(reader, writer, log)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, OSError):
            pass
        finally:
            log.closed = True
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _line(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        line = await asyncio.wait_for(reader.readline(), LINE_TIMEOUT_S)
        return protocol.parse_line(line) if line else None

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: ConnectionLog
    ) -> None:
        challenge = protocol.new_challenge()
        writer.write(f"lsg_version=qm-sim-1\ncram={challenge}\n".encode())
        auth = await self._line(reader)
        if auth is None:
            return
        log.auth = auth
        reason = self._auth_error(challenge, auth)
        if reason is not None:
            log.rejected = reason
            writer.write(f"success=0|error={reason}\n".encode())
            await writer.drain()
            return
        log.session_id = str(log.conn_id)
        writer.write(f"success=1|session_id={log.session_id}\n".encode())
        # Nothing else may be sent until start_session: the client hands every later byte to DBN.
        while (line := await self._line(reader)) is not None:
            if "start_session" in line:
                log.started = True
                await _Streamer(self, reader, writer, log).run()
                return
            log.subscriptions.append(line)

    def _auth_error(self, challenge: str, auth: dict[str, str]) -> str | None:
        if not protocol.check_auth(challenge, auth.get("auth", ""), self.keys):
            return "Authentication failed."
        if auth.get("dataset") != self.script.dataset:
            return f"Unknown dataset: {auth.get('dataset')}"
        if auth.get("encoding", "dbn") != "dbn" or auth.get("compression", "none") != "none":
            return "Unsupported encoding or compression"
        return None


class _Streamer:
    """The binary phase of one connection."""

    def __init__(
        self,
        gw: SimGateway,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        log: ConnectionLog,
    ) -> None:
        self.gw, self.reader, self.writer, self.log = gw, reader, writer, log
        self.ts_out = log.auth.get("ts_out") == "1"
        self.heartbeat_s = float(log.auth.get("heartbeat_interval_s", "30"))
        self.slow_until = 0.0
        self.last_send = time.monotonic()
        self.client_gone = asyncio.Event()

    def _stamp(self) -> int | None:
        return time.time_ns() if self.ts_out else None

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.last_send = time.monotonic()

    async def _watch_client(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while await self.reader.read(4096):
                pass
        self.client_gone.set()

    async def run(self) -> None:
        watcher = asyncio.create_task(self._watch_client())
        try:
            await self._run()
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _run(self) -> None:
        gw, now = self.gw, self.gw.now_ns()
        head = gw.head()
        feed = build_feed(gw.script, self.log.subscriptions, head, now)
        self.log.head = head
        self.log.errors.extend(feed.errors)
        self.log.definitions.extend(feed.definitions)
        await self._send(protocol.metadata(gw.script.dataset, now, ts_out=self.ts_out))
        await self._send(b"".join(feed.preamble))
        for iid in feed.snapshot_of:
            await self._snapshot(iid, head, now)
        await self._loop(feed)

    async def _snapshot(self, iid: int, head: int, now: int) -> None:
        recs = self.gw.script.records
        last_ts = int(recs["ts_event"][head - 1]) if head else int(recs["ts_event"][0])
        snap = snapshot_records(recs[:head], iid, ts_event=last_ts, ts_recv=now)
        self.log.snapshot_records += int(snap.shape[0])
        await self._send(protocol.mbo_bytes(snap, self._stamp()))

    async def _loop(self, feed: Feed) -> None:
        pos, idx, replay_pending = 0, feed.indices, feed.replay
        while not self.client_gone.is_set():
            # a connection past its last record (or a definitions-only one) is not "about to
            # serve" any script index: only immediate faults (at_record None) fire on it
            next_index = int(idx[pos]) if pos < idx.size else -1
            fault = self.gw.faults.take_due(next_index, self.log.conn_id)
            if fault is not None:
                self.log.faults.append(fault.kind)
                if await self._apply(fault):
                    return
            end = self._chunk_end(idx, pos)
            if end > pos:
                await self._serve_range(feed, pos, end)
                pos = end
                continue
            if replay_pending and pos >= int(np.searchsorted(idx, self.gw.head())):
                replay_pending = False
                self.log.replay_completed = True
                code = dbn.SystemCode.REPLAY_COMPLETED
                await self._send(protocol.system(self.gw.now_ns(), "Replay completed", code))
            if time.monotonic() - self.last_send >= self.heartbeat_s:
                code = dbn.SystemCode.HEARTBEAT
                await self._send(
                    protocol.system(self.gw.now_ns(), "Heartbeat", code, self._stamp())
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.client_gone.wait(), TICK_S)

    def _chunk_end(self, idx: np.ndarray, pos: int) -> int:
        limit = int(np.searchsorted(idx, self.gw.head()))
        boundary = self.gw.faults.next_boundary()
        if boundary is not None:
            limit = min(limit, max(pos, int(np.searchsorted(idx, boundary))))
        size = 64 if time.monotonic() < self.slow_until else CHUNK
        return min(limit, pos + size)

    async def _serve_range(self, feed: Feed, pos: int, end: int) -> None:
        chunk = feed.indices[pos:end]
        for i, script_index in enumerate(chunk.tolist()):
            mark = feed.marks.get(script_index)
            if mark is not None:
                await self._emit(chunk[:i])
                await self._send(mark)
                chunk = chunk[i:]
                break
        await self._emit(chunk)
        if time.monotonic() < self.slow_until:
            await asyncio.sleep(0.01)

    async def _emit(self, chunk: np.ndarray) -> None:
        if chunk.size:
            await self._send(protocol.mbo_bytes(self.gw.script.records[chunk], self._stamp()))
            self.log.chunks.append(chunk)

    async def _apply(self, fault: Fault) -> bool:
        """Act out a fault; True when the connection is over."""
        if fault.kind == "slow":
            self.slow_until = time.monotonic() + 1.0
            code = dbn.SystemCode.SLOW_READER_WARNING
            await self._send(protocol.system(self.gw.now_ns(), "Slow reader", code))
            return False
        if fault.kind == "error":
            code = dbn.ErrorCode.INTERNAL_ERROR
            await self._send(protocol.error(self.gw.now_ns(), "Simulated gateway error", code))
        elif fault.kind == "reset":
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort()
        elif fault.kind == "silence":
            await self.client_gone.wait()
        return True
