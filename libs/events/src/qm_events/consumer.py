"""Idempotent stream consumers: handle each envelope once, in the consumer's own transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_core.clock import utcnow
from qm_events.envelope import Envelope

log = logging.getLogger("qm.events.consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerConfig:
    """A consumer group over one or more streams."""

    name: str
    streams: Sequence[str]
    block_ms: int = 500
    count: int = 100
    backoff_s: float = 1.0


async def claim(session: AsyncSession, table: Table, consumer: str, envelope: Envelope) -> bool:
    """Record that `consumer` handles `envelope`; False when it already did (skip it)."""
    result = await session.execute(
        insert(table)
        .values(consumer=consumer, event_id=envelope.id, consumed_at=utcnow())
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None


async def ensure_groups(redis: Redis, config: ConsumerConfig) -> None:
    """Create the consumer group on every stream (from the beginning), tolerating existing ones."""
    for stream in config.streams:
        try:
            await redis.xgroup_create(stream, config.name, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


async def consume_batch(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    redis: Redis,
    config: ConsumerConfig,
    handler: Handler,
    *,
    pending: bool = False,
) -> int:
    """Read one batch (new entries, or this consumer's pending ones) and handle each once."""
    start = "0" if pending else ">"
    replies = await redis.xreadgroup(
        config.name,
        config.name,
        dict.fromkeys(config.streams, start),
        count=config.count,
        block=None if pending else config.block_ms,
    )
    handled = 0
    for stream, entries in replies or []:
        for entry_id, fields in entries:
            envelope = Envelope.from_fields(fields)
            async with sessions() as session, session.begin():
                if await claim(session, table, config.name, envelope):
                    await handler(session, envelope)
            await redis.xack(stream, config.name, entry_id)
            handled += 1
    return handled


async def run_consumer(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    redis: Redis,
    config: ConsumerConfig,
    handler: Handler,
    stop: asyncio.Event,
) -> None:
    """Consume until `stop` is set: first re-handle pending entries, then new ones."""
    pending = True
    while not stop.is_set():
        try:
            await ensure_groups(redis, config)
            handled = await consume_batch(sessions, table, redis, config, handler, pending=pending)
            if pending and handled == 0:
                pending = False
        except Exception as exc:  # transport/handler failure: back off; the entry stays pending
            log.warning("consumer batch failed: %r", exc, extra={"error": repr(exc)})
            pending = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=config.backoff_s)
