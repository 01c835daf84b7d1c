"""Jobs app factory: experiment jobs, their events and artifacts, and run results."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_jobs.artifacts.router import router as artifacts_router
from qm_jobs.db import SERVICE, outbox
from qm_jobs.execution.context import Infra
from qm_jobs.execution.reaper import reaper_loop
from qm_jobs.experiments.router import router as experiments_router
from qm_jobs.metrics import QUEUE_DEPTH
from qm_jobs.queue import JobQueue
from qm_jobs.runs.router import router as runs_router
from qm_jobs.settings import JobsSettings
from qm_web.app import create_service_app
from qm_web.edge import database_ready, remote_verifier, tenancy_lookups


def create_app(settings: JobsSettings | None = None) -> FastAPI:
    """Build the jobs API; engines, pools and clients are created in the lifespan."""
    settings = settings or JobsSettings()
    configure_logging(SERVICE, level=settings.log_level, json_output=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        state = app.state
        state.sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
        state.redis = Redis.from_url(settings.redis_url)
        state.namespace = settings.redis_namespace
        state.queue = await JobQueue.connect(settings.redis_url, settings.queue_name())
        state.ready_checks = [database_ready, _redis_ready]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_watch_queue_depth(state.queue, stop))]
        if settings.jobs_api_reaper:
            infra = Infra(settings, state.sessions, state.redis, state.queue)
            tasks.append(asyncio.create_task(reaper_loop(infra, stop)))
        try:
            async with tenancy_lookups(app, settings):
                yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await state.queue.aclose()
            await state.redis.aclose()
            await engine.dispose()

    app = create_service_app(
        service=SERVICE,
        routers=[experiments_router, artifacts_router, runs_router],
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.verifier = remote_verifier(settings)
    return app


async def _watch_queue_depth(queue: JobQueue, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(Exception):  # a metric must never take the API down
            QUEUE_DEPTH.set(await queue.depth())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=5.0)


async def _redis_ready(app: FastAPI) -> None:
    await app.state.redis.ping()
