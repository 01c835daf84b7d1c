"""Serving app factory: versions, aliases, diff, internal promotion and the real-time stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_serving.aliases.router import router as aliases_router
from qm_serving.db import SERVICE, outbox
from qm_serving.diff.router import router as diff_router
from qm_serving.internal.router import router as internal_router
from qm_serving.settings import ServingSettings
from qm_serving.stream.follow import DatabaseAliasDirectory
from qm_serving.stream.hub import StreamHub
from qm_serving.stream.leases import StreamLeases
from qm_serving.stream.router import router as stream_router
from qm_serving.stream.sources import IngestionStreams, LiveFeeds
from qm_serving.stream.tokens import StreamTokens
from qm_serving.stream.warmup import warm_up
from qm_serving.versions.router import router as versions_router
from qm_web.app import create_service_app
from qm_web.edge import database_ready, remote_verifier, tenancy_lookups


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """Build the serving app; engines, pools and stream producers live in the lifespan."""
    settings = settings or ServingSettings()
    configure_logging(SERVICE, level=settings.log_level, json_output=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        app.state.redis = Redis.from_url(settings.redis_url)
        app.state.hub = StreamHub(settings, DatabaseAliasDirectory(app.state))
        app.state.leases = StreamLeases(app.state.redis, settings.redis_namespace)
        app.state.leases.start()
        ingestion = IngestionStreams(settings.serving_ingestion_url, settings.service_token)
        app.state.live_feeds = LiveFeeds(ingestion, app.state.redis)
        app.state.ready_checks = [database_ready]
        warming = asyncio.create_task(
            asyncio.to_thread(warm_up) if settings.serving_warm_up else asyncio.sleep(0)
        )
        try:
            async with tenancy_lookups(app, settings):
                yield
        finally:
            with contextlib.suppress(Exception):
                await warming
            await app.state.hub.close()
            await app.state.leases.close()
            await ingestion.aclose()
            await app.state.redis.aclose()
            await engine.dispose()

    routers: list[APIRouter] = [
        versions_router,
        aliases_router,
        diff_router,
        internal_router,
        stream_router,
    ]
    app = create_service_app(
        service=SERVICE,
        routers=routers,
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.verifier = remote_verifier(settings)
    app.state.stream_tokens = StreamTokens.from_settings(settings)
    return app
