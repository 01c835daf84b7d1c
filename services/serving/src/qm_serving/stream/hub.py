"""The hub: one producer per (version, source) key, subscriptions, per-workspace stream counts.

Subscribers that selected an alias follow it: a background pass looks up where the followed
aliases point (one query for all of them, every `serving_alias_poll_s`) and moves the followers
of a moved alias onto the new version's producer, announcing it with a fresh `runtime_config`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from typing import Any, Protocol

from qm_core.errors import QuotaExceeded
from qm_serving.settings import ServingSettings
from qm_serving.stream.metrics import ALIAS_MOVES_FOLLOWED, PRODUCERS, SUBSCRIBERS
from qm_serving.stream.producer import ComputerFactory, Producer, Retarget, StreamEnd, Subscriber
from qm_serving.stream.sources import LiveSource, ReplaySource

log = logging.getLogger("qm.serving.stream")

SourceFactory = Callable[[], tuple[ReplaySource | LiveSource, ComputerFactory]]
AliasKey = tuple[uuid.UUID, str]


class Target(Protocol):
    """What a subscription is attached to (a `StreamPlan`)."""

    @property
    def key(self) -> str: ...

    @property
    def serving_id(self) -> str: ...

    @property
    def runtime_config(self) -> dict[str, Any]: ...

    @property
    def make_source(self) -> SourceFactory: ...


class AliasDirectory(Protocol):
    """Where aliases point now, and the stream plan of an alias (the database, in the app)."""

    async def current(self, aliases: Collection[AliasKey]) -> dict[AliasKey, str]: ...

    async def plan(self, workspace_id: uuid.UUID, alias: str) -> Target: ...


class PlanRefused(Exception):
    """The alias now points at a version that cannot stream here: close with `code`."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class StreamHub:
    """Shares producers between subscribers of the same version and source (in this process)."""

    def __init__(self, settings: ServingSettings, directory: AliasDirectory | None = None) -> None:
        self.queue_frames = settings.serving_queue_frames
        self.pace = settings.serving_pace
        self.poll_s = settings.serving_alias_poll_s
        self.directory = directory
        self.producers: dict[str, Producer] = {}
        self.streams_by_workspace: Counter[uuid.UUID] = Counter()
        self.following: dict[AliasKey, set[Subscriber]] = {}
        self._owner: dict[Subscriber, Producer] = {}
        self._follower: asyncio.Task[None] | None = None

    def subscribe(
        self,
        *,
        key: str,
        serving_id: str,
        workspace_id: uuid.UUID,
        max_streams: int,
        make_source: SourceFactory,
        follows: str | None = None,
    ) -> Subscriber:
        """A new subscriber of the producer of `key` (started on first use); quota checked first.

        `follows` names the alias the viewer selected: the subscriber moves with it.
        """
        if self.streams_by_workspace[workspace_id] >= max_streams:
            raise QuotaExceeded(f"max_streams quota reached ({max_streams} open streams)")
        producer = self._producer(key, serving_id, make_source)
        sub = Subscriber(
            workspace_id=workspace_id,
            maxsize=self.queue_frames,
            serving_id=serving_id,
            follows=follows,
        )
        producer.subscribers.add(sub)
        self._owner[sub] = producer
        self.streams_by_workspace[workspace_id] += 1
        SUBSCRIBERS.inc()
        if follows is not None:
            self.following.setdefault((workspace_id, follows), set()).add(sub)
            self._follow()
        return sub

    def _producer(self, key: str, serving_id: str, make_source: SourceFactory) -> Producer:
        producer = self.producers.get(key)
        if producer is None:
            source, make_computer = make_source()
            producer = Producer(
                key, serving_id, source, make_computer, pace=self.pace, on_done=self._forget
            )
            self.producers[key] = producer
            PRODUCERS.set(len(self.producers))
        return producer

    async def unsubscribe(self, sub: Subscriber) -> None:
        """Drop a subscriber; the last one leaving stops its producer."""
        producer = self._owner.pop(sub, None)
        if producer is None:
            return
        self._unfollow(sub)
        producer.subscribers.discard(sub)
        self.streams_by_workspace[sub.workspace_id] -= 1
        SUBSCRIBERS.dec()
        await self._release(producer)

    async def _release(self, producer: Producer) -> None:
        if not producer.subscribers:
            self._forget(producer)
            await producer.cancel()

    def _unfollow(self, sub: Subscriber) -> None:
        if sub.follows is None:
            return
        key = (sub.workspace_id, sub.follows)
        group = self.following.get(key)
        if group is not None:
            group.discard(sub)
            if not group:
                del self.following[key]

    def _forget(self, producer: Producer) -> None:
        if self.producers.get(producer.key) is producer:
            del self.producers[producer.key]
            PRODUCERS.set(len(self.producers))

    async def retarget(self, sub: Subscriber, target: Target) -> None:
        """Move a subscriber onto the producer of `target`, announced by a `Retarget` item.

        Frames already queued from the old version are delivered first; the announcement comes
        next and every frame after it is from the new version (fan-out never awaits, so nothing
        interleaves).
        """
        old = self._owner.get(sub)
        if old is None or sub.serving_id == target.serving_id:
            return
        new = self._producer(target.key, target.serving_id, target.make_source)
        old.subscribers.discard(sub)
        sub.offer(Retarget(target.runtime_config, target.serving_id))
        sub.serving_id = target.serving_id
        new.subscribers.add(sub)
        self._owner[sub] = new
        ALIAS_MOVES_FOLLOWED.inc()
        if new is not old:
            await self._release(old)

    def _follow(self) -> None:
        if self.directory is None or (self._follower is not None and not self._follower.done()):
            return
        self._follower = asyncio.create_task(self._follow_loop(), name="stream:follow-aliases")

    async def _follow_loop(self) -> None:
        while self.following:
            await asyncio.sleep(self.poll_s)
            try:
                await self.follow_aliases()
            except Exception as exc:  # database away: keep streaming, look again next time
                log.warning("alias follow pass failed", extra={"error": repr(exc)})

    async def follow_aliases(self) -> None:
        """One pass: move the followers of every alias that now points at another version."""
        if self.directory is None or not self.following:
            return
        current = await self.directory.current(list(self.following))
        for key, serving_id in current.items():
            if not any(s.serving_id != serving_id for s in self.following.get(key, ())):
                continue
            try:
                target = await self.directory.plan(*key)
            except PlanRefused as exc:
                self._end_followers(key, exc.message, exc.code)
                continue
            for sub in list(self.following.get(key, ())):
                await self.retarget(sub, target)

    def _end_followers(self, key: AliasKey, message: str, code: int) -> None:
        # the alias moved to a version that cannot stream here: a new connection would be
        # refused, so the open ones end the same way instead of showing the old version
        for sub in self.following.pop(key, set()):
            sub.offer(StreamEnd(f"alias {key[1]} moved: {message}", code))

    async def close(self) -> None:
        """Stop every producer and the alias follower (shutdown)."""
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        for producer in list(self.producers.values()):
            await producer.cancel()
        self.producers.clear()
        PRODUCERS.set(0)
