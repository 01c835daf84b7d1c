"""Tenancy app factory: workspaces, members, quotas, flags, audit, dev issuer, internal API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_tenancy.audit.router import router as audit_router
from qm_tenancy.auth.router import PUBLIC_PATHS
from qm_tenancy.auth.router import router as auth_router
from qm_tenancy.auth.service import DevIssuer
from qm_tenancy.db import SERVICE, outbox
from qm_tenancy.deps import LocalMembership
from qm_tenancy.flags.router import router as flags_router
from qm_tenancy.internal.router import router as internal_router
from qm_tenancy.quotas.router import router as quotas_router
from qm_tenancy.settings import TenancySettings
from qm_tenancy.workspaces.router import router as workspaces_router
from qm_web.app import create_service_app
from qm_web.auth import JwksCache, JwtVerifier
from qm_web.edge import database_ready, remote_verifier


def _verifier(settings: TenancySettings, issuer: DevIssuer | None) -> JwtVerifier:
    if issuer is None:
        return remote_verifier(settings)
    jwks = JwksCache(static=issuer.jwks())
    return JwtVerifier(jwks, issuer=settings.auth_issuer, audience=settings.auth_audience)


def create_app(settings: TenancySettings | None = None) -> FastAPI:
    """Build the tenancy app; engines and pools are created in the lifespan."""
    settings = settings or TenancySettings()
    configure_logging(SERVICE, level=settings.log_level, json_output=settings.log_json)
    issuer = (
        DevIssuer.from_path(
            settings.tenancy_dev_key_path,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            ttl_s=settings.dev_token_ttl_s,
        )
        if settings.dev_auth
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        app.state.membership = LocalMembership(app.state.sessions)
        app.state.redis = Redis.from_url(settings.redis_url)
        app.state.ready_checks = [database_ready]
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await engine.dispose()

    routers: list[APIRouter] = [
        workspaces_router,
        quotas_router,
        flags_router,
        audit_router,
        internal_router,
    ]
    if issuer is not None:
        routers.append(auth_router)
    app = create_service_app(
        service=SERVICE,
        routers=routers,
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
        public_paths=PUBLIC_PATHS,
    )
    app.state.settings = settings
    app.state.dev_issuer = issuer
    app.state.verifier = _verifier(settings, issuer)
    return app
