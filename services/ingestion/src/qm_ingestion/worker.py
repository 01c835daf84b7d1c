"""`python -m qm_ingestion.worker`: the live-session worker process (SIGTERM detaches cleanly)."""

from __future__ import annotations

import asyncio
import signal

from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_ingestion.db import SERVICE, outbox
from qm_ingestion.runtime.worker import Worker
from qm_ingestion.settings import IngestionSettings


async def serve(settings: IngestionSettings) -> None:
    """Run the worker until SIGTERM/SIGINT."""
    engine = make_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        await Worker(settings, sessions, redis).run(stop)
    finally:
        await redis.aclose()
        await engine.dispose()


def main() -> None:
    """Entry point."""
    settings = IngestionSettings()
    configure_logging(SERVICE + "-worker", level=settings.log_level, json_output=settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
