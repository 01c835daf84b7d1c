"""Ingestion app factory: the live-session API (supervisors run in `qm_ingestion.worker`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_ingestion.db import SERVICE, outbox
from qm_ingestion.live.router import router as live_router
from qm_ingestion.settings import IngestionSettings
from qm_web.app import create_service_app
from qm_web.auth import JwksCache, JwtVerifier
from qm_web.membership import TenancyMembershipClient, watch_membership_events
from qm_web.tenancy_client import TenancyClient


def create_app(settings: IngestionSettings | None = None) -> FastAPI:
    """Build the ingestion app; engines and clients are created in the lifespan."""
    settings = settings or IngestionSettings()
    configure_logging(SERVICE, level=settings.log_level, json_output=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        membership = TenancyMembershipClient(
            settings.tenancy_url, settings.service_token, ttl_s=settings.membership_ttl_s
        )
        app.state.membership = membership
        app.state.redis = Redis.from_url(settings.redis_url)
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            watch_membership_events(
                app.state.redis, membership.cache, stop, namespace=settings.redis_namespace
            )
        )
        limits = TenancyClient(settings.tenancy_url, settings.service_token)
        app.state.limits = limits
        app.state.ready_checks = [_database_ready]
        try:
            yield
        finally:
            stop.set()
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await app.state.redis.aclose()
            await limits.aclose()
            await membership.aclose()
            await engine.dispose()

    app = create_service_app(
        service=SERVICE,
        routers=[live_router],
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.verifier = JwtVerifier(
        JwksCache(settings.auth_jwks_url),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
    )
    return app


async def _database_ready(app: FastAPI) -> None:
    async with app.state.sessions() as session:
        await session.execute(text("SELECT 1"))
