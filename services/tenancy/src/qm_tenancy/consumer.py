"""`python -m qm_tenancy.consumer`: the audit consumer process over every service's stream."""

from __future__ import annotations

import asyncio
import logging
import signal

from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.consumer import ConsumerConfig, run_consumer
from qm_events.envelope import stream_key
from qm_tenancy.audit.consumers import on_envelope
from qm_tenancy.db import consumed_event
from qm_tenancy.settings import AUDITED_SERVICES, TenancySettings

log = logging.getLogger("qm.tenancy.consumer")


def audit_consumer_config(namespace: str) -> ConsumerConfig:
    """The audit consumer group over every service's event stream."""
    streams = [stream_key(service, namespace) for service in AUDITED_SERVICES]
    return ConsumerConfig(name="tenancy-audit", streams=streams)


async def _main(settings: TenancySettings) -> None:
    engine = make_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    log.info("audit consumer started")
    try:
        await run_consumer(
            make_sessionmaker(engine),
            consumed_event,
            redis,
            audit_consumer_config(settings.redis_namespace),
            on_envelope,
            stop,
        )
    finally:
        await redis.aclose()
        await engine.dispose()


def main() -> None:
    """Run until SIGINT/SIGTERM."""
    settings = TenancySettings()
    configure_logging("tenancy-consumer", level=settings.log_level, json_output=settings.log_json)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
