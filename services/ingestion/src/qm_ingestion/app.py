"""Ingestion app factory: the live-session API (supervisors run in `qm_ingestion.worker`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_ingestion.db import SERVICE, outbox
from qm_ingestion.internal.router import router as internal_router
from qm_ingestion.live.router import router as live_router
from qm_ingestion.settings import IngestionSettings
from qm_web.app import create_service_app
from qm_web.edge import database_ready, remote_verifier, tenancy_lookups


def create_app(settings: IngestionSettings | None = None) -> FastAPI:
    """Build the ingestion app; engines and clients are created in the lifespan."""
    settings = settings or IngestionSettings()
    configure_logging(SERVICE, level=settings.log_level, json_output=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        app.state.redis = Redis.from_url(settings.redis_url)
        app.state.ready_checks = [database_ready]
        try:
            async with tenancy_lookups(app, settings):
                yield
        finally:
            await app.state.redis.aclose()
            await engine.dispose()

    app = create_service_app(
        service=SERVICE,
        routers=[live_router, internal_router],
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.verifier = remote_verifier(settings)
    return app
