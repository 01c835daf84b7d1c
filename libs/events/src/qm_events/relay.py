"""Outbox relay: publish committed outbox rows to the service's Redis Stream, at least once.

Rows are locked with SKIP LOCKED (several relays may run), XADDed in one pipeline and marked
published in the same transaction. If Redis is down the transaction rolls back, the rows stay,
the failure counter goes up and the relay retries with capped exponential backoff: nothing is
dropped. A crash between XADD and commit re-sends rows; consumers are idempotent by envelope id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, start_http_server
from redis.asyncio import Redis
from sqlalchemy import MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_core.clock import utcnow
from qm_core.logging import configure_logging
from qm_core.settings import QmSettings
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.envelope import Envelope, stream_key
from qm_events.outbox import outbox_table

log = logging.getLogger("qm.events.relay")

PUBLISHED = Counter("qm_outbox_published_total", "Outbox rows published", ["source"])
FAILURES = Counter("qm_outbox_relay_failures_total", "Failed relay attempts", ["source"])
BACKLOG = Gauge("qm_outbox_backlog", "Unpublished rows seen in the last batch", ["source"])


@dataclass(frozen=True)
class RelayConfig:
    """How one relay behaves."""

    source: str
    namespace: str = ""
    batch_size: int = 200
    idle_sleep_s: float = 0.2
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0
    stream_maxlen: int = 1_000_000


async def relay_once(session: AsyncSession, table: Table, redis: Redis, config: RelayConfig) -> int:
    """Publish one batch inside the caller's transaction; return how many rows were sent."""
    rows = (
        await session.execute(
            select(table.c.seq, table.c.envelope)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(config.batch_size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    BACKLOG.labels(config.source).set(len(rows))
    if not rows:
        return 0
    key = stream_key(config.source, config.namespace)
    async with redis.pipeline(transaction=False) as pipe:
        for row in rows:
            envelope = Envelope.model_validate(row.envelope)
            fields: dict[Any, Any] = envelope.to_fields()
            pipe.xadd(key, fields, maxlen=config.stream_maxlen, approximate=True)
        await pipe.execute()
    seqs = [row.seq for row in rows]
    await session.execute(update(table).where(table.c.seq.in_(seqs)).values(published_at=utcnow()))
    PUBLISHED.labels(config.source).inc(len(rows))
    return len(rows)


async def run_relay(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    redis: Redis,
    config: RelayConfig,
    stop: asyncio.Event,
) -> None:
    """Relay until `stop` is set, backing off while Postgres or Redis fail."""
    backoff = config.backoff_initial_s
    while not stop.is_set():
        try:
            async with sessions() as session, session.begin():
                sent = await relay_once(session, table, redis, config)
            backoff = config.backoff_initial_s
            if sent < config.batch_size:
                await _sleep(stop, config.idle_sleep_s)
        except Exception as exc:  # any transport failure: count, back off, retry
            FAILURES.labels(config.source).inc()
            log.warning(
                "relay attempt failed: %r", exc, extra={"error": repr(exc), "retry_in_s": backoff}
            )
            await _sleep(stop, backoff * (0.5 + random.random() / 2))  # noqa: S311 - jitter
            backoff = min(backoff * 2, config.backoff_max_s)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class RelaySettings(QmSettings):
    """Relay process settings (QM_DATABASE_URL, QM_REDIS_URL, QM_REDIS_NAMESPACE)."""

    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_namespace: str = ""
    relay_metrics_port: int = 0


async def _main_async(schema: str, source: str, settings: RelaySettings) -> None:
    engine = make_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    config = RelayConfig(source=source, namespace=settings.redis_namespace)
    log.info("relay started", extra={"schema": schema, "source": source})
    try:
        await run_relay(
            make_sessionmaker(engine), outbox_table(MetaData(schema=schema)), redis, config, stop
        )
    finally:
        await redis.aclose()
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """`python -m qm_events.relay --schema tenancy [--source tenancy]`."""
    parser = argparse.ArgumentParser(prog="python -m qm_events.relay", description=__doc__)
    parser.add_argument("--schema", required=True, help="the service schema whose outbox to relay")
    parser.add_argument("--source", help="event source name (default: schema with '-' for '_')")
    args = parser.parse_args(argv)
    settings = RelaySettings()
    configure_logging(
        f"{args.schema}-relay", level=settings.log_level, json_output=settings.log_json
    )
    if settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port, addr="127.0.0.1")
    asyncio.run(_main_async(args.schema, args.source or args.schema.replace("_", "-"), settings))


if __name__ == "__main__":
    main()
