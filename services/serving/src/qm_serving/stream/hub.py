"""The hub: one producer per (version, source) key, subscriptions, per-workspace stream counts."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

from qm_core.errors import QuotaExceeded
from qm_serving.settings import ServingSettings
from qm_serving.stream.metrics import PRODUCERS, SUBSCRIBERS
from qm_serving.stream.producer import ComputerFactory, Producer, Subscriber
from qm_serving.stream.sources import LiveSource, ReplaySource

SourceFactory = Callable[[], tuple[ReplaySource | LiveSource, ComputerFactory]]


class StreamHub:
    """Shares producers between subscribers of the same version and source (in this process)."""

    def __init__(self, settings: ServingSettings) -> None:
        self.queue_frames = settings.serving_queue_frames
        self.pace = settings.serving_pace
        self.producers: dict[str, Producer] = {}
        self.streams_by_workspace: Counter[uuid.UUID] = Counter()
        self._owner: dict[Subscriber, Producer] = {}

    def subscribe(
        self,
        *,
        key: str,
        serving_id: str,
        workspace_id: uuid.UUID,
        max_streams: int,
        make_source: SourceFactory,
    ) -> Subscriber:
        """A new subscriber of the producer of `key` (started on first use); quota checked first."""
        if self.streams_by_workspace[workspace_id] >= max_streams:
            raise QuotaExceeded(f"max_streams quota reached ({max_streams} open streams)")
        producer = self.producers.get(key)
        if producer is None:
            source, make_computer = make_source()
            producer = Producer(
                key, serving_id, source, make_computer, pace=self.pace, on_done=self._forget
            )
            self.producers[key] = producer
            PRODUCERS.set(len(self.producers))
        sub = Subscriber(workspace_id=workspace_id, maxsize=self.queue_frames)
        producer.subscribers.add(sub)
        self._owner[sub] = producer
        self.streams_by_workspace[workspace_id] += 1
        SUBSCRIBERS.inc()
        return sub

    async def unsubscribe(self, sub: Subscriber) -> None:
        """Drop a subscriber; the last one leaving stops its producer."""
        producer = self._owner.pop(sub, None)
        if producer is None:
            return
        producer.subscribers.discard(sub)
        self.streams_by_workspace[sub.workspace_id] -= 1
        SUBSCRIBERS.dec()
        if not producer.subscribers:
            self._forget(producer)
            await producer.cancel()

    def _forget(self, producer: Producer) -> None:
        if self.producers.get(producer.key) is producer:
            del self.producers[producer.key]
            PRODUCERS.set(len(self.producers))

    async def close(self) -> None:
        """Stop every producer (shutdown)."""
        for producer in list(self.producers.values()):
            await producer.cancel()
        self.producers.clear()
        PRODUCERS.set(0)
