"""Start-up wiring every service shares: token verification, tenancy lookups, readiness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from qm_web.auth import JwksCache, JwtVerifier
from qm_web.membership import TenancyMembershipClient, watch_membership_events
from qm_web.settings import WebSettings
from qm_web.tenancy_client import TenancyClient


def remote_verifier(settings: WebSettings) -> JwtVerifier:
    """A verifier of the configured issuer's tokens, keys from its JWKS URL."""
    return JwtVerifier(
        JwksCache(settings.auth_jwks_url),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
    )


@asynccontextmanager
async def tenancy_lookups(app: FastAPI, settings: WebSettings) -> AsyncIterator[None]:
    """Set `app.state.membership` and `app.state.limits` (tenancy's internal API) for the block.

    Membership events on `app.state.redis` drop cached roles while the block runs.
    """
    membership = TenancyMembershipClient(
        settings.tenancy_url, settings.service_token, ttl_s=settings.membership_ttl_s
    )
    limits = TenancyClient(settings.tenancy_url, settings.service_token)
    app.state.membership, app.state.limits = membership, limits
    stop = asyncio.Event()
    watcher = asyncio.create_task(
        watch_membership_events(
            app.state.redis, membership.cache, stop, namespace=settings.redis_namespace
        )
    )
    try:
        yield
    finally:
        stop.set()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await limits.aclose()
        await membership.aclose()


async def database_ready(app: FastAPI) -> None:
    """Readiness check: the service's database answers."""
    async with app.state.sessions() as session:
        await session.execute(text("SELECT 1"))
