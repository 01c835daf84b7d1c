"""Run an app's lifespan and talk to it in-process over httpx, on the test's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def app_client(
    app: FastAPI, *, after_startup: Callable[[FastAPI], None] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the lifespan, let the test swap state (`after_startup`), yield a client."""
    async with app.router.lifespan_context(app):
        if after_startup is not None:
            after_startup(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
