"""Server-Sent Events of one job: replay from Postgres after `Last-Event-ID`, then live.

Every frame carries `id: <sequence>`; a frame is sent only when its sequence is exactly the
next one, so a client never sees a gap or a repeat. Pub/sub frames take the fast path; anything
out of order (or a quiet spell) falls back to a database read.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_core.ids import WorkspaceId
from qm_db.uow import unit_of_work
from qm_jobs.experiments import service
from qm_jobs.experiments.schemas import JobEventRead
from qm_jobs.experiments.states import TERMINAL
from qm_jobs.live import events_channel

KEEPALIVE = ": keep-alive\n\n"


@dataclass(frozen=True)
class StreamSource:
    """Where a job's events come from, and how often to fall back or keep the line alive."""

    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    namespace: str
    keepalive_s: float
    poll_s: float


def frame(event: JobEventRead) -> str:
    """One SSE frame: id = sequence, event = the job event type (never `error`)."""
    # Sorted keys: a replayed frame is byte-identical to the live one (JSONB reorders keys).
    data = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return f"id: {event.sequence}\nevent: {event.event_type}\ndata: {data}\n\n"


def _ends(event: JobEventRead) -> bool:
    return event.event_type == "job_state" and event.payload.get("status") in TERMINAL


async def _from_db(
    source: StreamSource, ws: WorkspaceId, job_id: uuid.UUID, after: int
) -> tuple[list[JobEventRead], bool]:
    async with unit_of_work(source.sessions, workspace_id=ws) as session:
        job, rows = await service.events_after(session, workspace_id=ws, job_id=job_id, after=after)
        events = [JobEventRead.model_validate(r) for r in rows]
        caught_up = not events or events[-1].sequence >= job.last_sequence
        return events, caught_up and job.status in TERMINAL


async def _next_live(pubsub: PubSub, wait_s: float) -> JobEventRead | None:
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait_s)
    if message is None or message.get("type") != "message":
        return None
    return JobEventRead.model_validate(json.loads(message["data"]))


class _Cursor:
    """What this client has been sent: the last sequence, and when the line last carried data."""

    def __init__(self, last: int) -> None:
        self.last = last
        self.sent_at = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self.sent_at


async def job_stream(
    source: StreamSource, ws: WorkspaceId, job_id: uuid.UUID, after: int
) -> AsyncIterator[str]:
    """The SSE body: subscribe first (no window), replay, then follow until a terminal state."""
    pubsub = source.redis.pubsub()
    await pubsub.subscribe(events_channel(source.namespace, job_id))
    cursor = _Cursor(after)
    try:
        yield "retry: 2000\n\n"
        while True:
            events, finished = await _from_db(source, ws, job_id, cursor.last)
            async for text in _emit(events, cursor):
                yield text
            if finished or (events and _ends(events[-1])):
                return
            live = [e async for e in _follow(source, pubsub, cursor)]
            async for text in _emit(live, cursor):
                yield text
            if live and _ends(live[-1]):
                return
            if not events and not live and cursor.idle_for() >= source.keepalive_s:
                yield KEEPALIVE
                cursor.sent_at = time.monotonic()
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _emit(events: list[JobEventRead], cursor: _Cursor) -> AsyncIterator[str]:
    for event in events:
        yield frame(event)
        cursor.last, cursor.sent_at = event.sequence, time.monotonic()


async def _follow(
    source: StreamSource, pubsub: PubSub, cursor: _Cursor
) -> AsyncIterator[JobEventRead]:
    """The next in-order live event (one at a time, so frames go out as they arrive); stops on
    a gap, a terminal event, a quiet spell of `poll_s`, or a Redis hiccup (the caller re-reads
    the database)."""
    deadline = time.monotonic() + source.poll_s
    expected = cursor.last + 1
    while time.monotonic() < deadline:
        try:
            event = await _next_live(pubsub, min(0.5, source.poll_s))
        except (TimeoutError, ConnectionError, OSError):
            return
        if event is None or event.sequence < expected:
            continue
        if event.sequence != expected:
            return
        yield event
        return
