"""One producer per (version, source): computes each bin once and offers it to every subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from qm_serving.compute.frames import header_text, wire_pair
from qm_serving.stream.grid import EncodedBin, GridComputer
from qm_serving.stream.metrics import FRAMES_DROPPED, FRAMES_SENT, PRODUCER_LAG
from qm_serving.stream.sources import LiveSource, ReplaySource

log = logging.getLogger("qm.serving.stream")


@dataclass(frozen=True)
class StreamEnd:
    """Sentinel queued after the last bin: the stream is over, with a reason and a close code."""

    reason: str
    code: int = 1000


@dataclass(frozen=True)
class Retarget:
    """Control item: the followed alias moved; what follows is the stream of another version."""

    runtime_config: dict[str, Any]
    serving_id: str


Item = EncodedBin | StreamEnd | Retarget


class Subscriber:
    """One viewer's bounded queue; when full the oldest frame is dropped, never the producer.

    A plain deque plus one wake-up future (cheaper than asyncio.Queue on the fan-out path).
    Only frames count against `maxsize` and only frames are dropped: a `Retarget` or `StreamEnd`
    is always delivered, in order.
    """

    __slots__ = (
        "_bins",
        "_dropped_pending",
        "_items",
        "_waiter",
        "direct",
        "dropped_total",
        "follows",
        "maxsize",
        "sending",
        "serving_id",
        "workspace_id",
    )

    def __init__(
        self,
        *,
        workspace_id: uuid.UUID,
        maxsize: int,
        serving_id: str = "",
        follows: str | None = None,
    ) -> None:
        self.workspace_id, self.maxsize = workspace_id, maxsize
        # the version being streamed, and the alias it follows (None: pinned serving id)
        self.serving_id, self.follows = serving_id, follows
        self.dropped_total = 0
        self._dropped_pending = 0
        self._items: deque[Item] = deque()
        self._bins = 0
        self._waiter: asyncio.Future[None] | None = None
        # Set by the session once the socket can take pre-framed writes (after runtime_config);
        # `sending` is true while its pump holds an item it has not finished sending.
        self.direct: Callable[[bytes], bool] | None = None
        self.sending = False

    def try_direct(self, wire: bytes) -> bool:
        """Write a bin's pre-framed bytes straight to the socket when nothing is ahead of it.

        Only when the queue is empty, no drop is waiting to be reported and the pump is not mid
        send (order is kept); False (the caller queues the bin) otherwise or while the socket is
        paused by backpressure.
        """
        write = self.direct
        if write is None or self._items or self._dropped_pending or self.sending:
            return False
        try:
            return write(wire)
        except OSError:  # the socket is gone: the queued path ends the stream
            self.direct = None
            return False

    def offer(self, item: Item) -> None:
        """Enqueue without waiting; a full queue loses its oldest frame (counted)."""
        if type(item) is EncodedBin:
            if self._bins >= self.maxsize:
                self._drop_oldest()
            self._bins += 1
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _drop_oldest(self) -> None:
        for i, queued in enumerate(self._items):
            if type(queued) is EncodedBin:
                del self._items[i]
                self._bins -= 1
                self.dropped_total += 1
                self._dropped_pending += 1
                FRAMES_DROPPED.inc()
                return

    def __len__(self) -> int:
        return len(self._items)

    def take(self) -> Item:
        """The oldest queued item (the queue must not be empty)."""
        item = self._items.popleft()
        if type(item) is EncodedBin:
            self._bins -= 1
        return item

    async def wait(self) -> None:
        """Until something is queued."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    async def get(self) -> Item:
        """The oldest item, waiting for one."""
        await self.wait()
        return self.take()

    def take_dropped(self) -> int:
        """Frames dropped since the previous call (reported in the next header)."""
        n, self._dropped_pending = self._dropped_pending, 0
        return n


ComputerFactory = Callable[[], GridComputer]


class Producer:
    """Runs the engine over one source and fans each encoded bin out to its subscribers."""

    def __init__(
        self,
        key: str,
        serving_id: str,
        source: ReplaySource | LiveSource,
        make_computer: ComputerFactory,
        *,
        pace: float,
        on_done: Callable[[Producer], None],
    ) -> None:
        self.key, self.serving_id, self.source = key, serving_id, source
        self.make_computer, self.pace, self.on_done = make_computer, pace, on_done
        self.subscribers: set[Subscriber] = set()
        self.bins_produced = 0
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name=f"producer:{key}")

    def fan_out(self, item: EncodedBin | StreamEnd) -> None:
        """Give one bin (or the end) to every subscriber; never awaits.

        A subscriber that is caught up gets the bin's pre-framed bytes written at once (one
        syscall, no task wake-up); the others get it queued for their pump.
        """
        if isinstance(item, EncodedBin) and item.wire:
            wire, written = item.wire, 0
            for sub in tuple(self.subscribers):
                if sub.try_direct(wire):
                    written += 1
                else:
                    sub.offer(item)
            if written:
                FRAMES_SENT.inc(written)
            return
        for sub in tuple(self.subscribers):
            sub.offer(item)

    async def _run(self) -> None:
        replay = isinstance(self.source, ReplaySource)
        reason = "replay finished" if replay else "live session ended"
        try:
            computer = await asyncio.to_thread(self.make_computer)
            if isinstance(self.source, ReplaySource):
                await self._replay(self.source, computer)
            else:
                await self._live(self.source, computer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a producer failure ends its streams with a reason, not silence
            log.exception("stream producer failed", extra={"key": self.key})
            reason = f"producer failed: {exc.__class__.__name__}"
        finally:
            PRODUCER_LAG.labels(self.serving_id).set(0)
            self.on_done(self)
        self.fan_out(StreamEnd(reason))

    def _emit(self, item: EncodedBin, due: float) -> None:
        PRODUCER_LAG.labels(self.serving_id).set(max(0.0, time.monotonic() - due))
        self.bins_produced += 1
        # wall-clock release time, so clients can measure production -> receipt delay
        stamped = f'{item.header},"emitted_at_ns":"{time.time_ns()}"'
        text = header_text(stamped, 0)
        self.fan_out(replace(item, header=stamped, text=text, wire=wire_pair(text, item.frame)))

    async def _replay(self, source: ReplaySource, computer: GridComputer) -> None:
        # Every bin is due at start + (its market time since the first bin) / pace on the
        # monotonic clock: sleeping "until due" never accumulates drift. Record batches are read
        # one ahead in a thread; each bin is encoded just before it is due.
        batches: Iterator[Any] = iter(source.batches())
        ahead = asyncio.create_task(asyncio.to_thread(next, batches, None))
        t0: float | None = None
        first_end, exhausted = 0, False
        while True:
            item = computer.next_bin()
            if item is None:
                if exhausted:
                    return
                batch = await ahead
                if batch is None:
                    computer.close()
                    exhausted = True
                else:
                    computer.feed(batch)
                    ahead = asyncio.create_task(asyncio.to_thread(next, batches, None))
                continue
            if t0 is None:
                t0, first_end = time.monotonic(), item.bin_end_ns
            due = t0 + (item.bin_end_ns - first_end) / 1e9 / self.pace
            # even when behind schedule, yield once per bin so subscribers drain between bins
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self._emit(item, due)

    async def _live(self, source: LiveSource, computer: GridComputer) -> None:
        async for batch in source.batches(self.stop):
            computer.feed(batch)
            while (item := computer.next_bin()) is not None:
                self._emit(item, time.monotonic())
                await asyncio.sleep(0)

    async def cancel(self) -> None:
        """Stop producing (last subscriber left, or shutdown)."""
        self.stop.set()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
