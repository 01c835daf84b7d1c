"""The jobs worker process: `python -m qm_jobs.worker` (arq, bounded concurrency, reaper,
cancel listener, its own /metrics port)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from arq.worker import Worker, func
from prometheus_client import start_http_server
from redis.asyncio import Redis

from qm_core.ids import WorkspaceId
from qm_core.logging import configure_logging
from qm_db.engine import make_engine, make_sessionmaker
from qm_events.outbox import outbox_info
from qm_jobs.db import SERVICE, outbox
from qm_jobs.execution.context import StopFlags, WorkerContext
from qm_jobs.execution.job import execute
from qm_jobs.execution.reaper import reaper_loop
from qm_jobs.execution.runner import Runner
from qm_jobs.live import cancel_channel
from qm_jobs.queue import TASK, JobQueue, redis_settings
from qm_jobs.settings import JobsSettings

log = logging.getLogger("qm.jobs.worker")
CONTEXT = "qm_jobs"


async def run_experiment_job(
    ctx: dict[str, Any], job_id: str, workspace_id: str, attempt: int
) -> str:
    """The arq task: one attempt of one job (idempotent: repeats and stale attempts are no-ops)."""
    worker: WorkerContext = ctx[CONTEXT]
    return await execute(worker, uuid.UUID(job_id), WorkspaceId(uuid.UUID(workspace_id)), attempt)


async def _listen_for_cancels(redis: Redis, namespace: str, stops: StopFlags) -> None:
    """Fast path of cancel: set the job's stop flag as soon as the API commits the request."""
    while True:
        pubsub = redis.pubsub()
        try:
            await pubsub.subscribe(cancel_channel(namespace))
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    with contextlib.suppress(ValueError):
                        stops.set(uuid.UUID(message["data"].decode()))
        except (ConnectionError, OSError):
            await asyncio.sleep(1.0)  # the heartbeat still reads the durable flag meanwhile
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]


def _startup(settings: JobsSettings) -> Any:
    async def startup(ctx: dict[str, Any]) -> None:
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url)
        worker = WorkerContext(
            settings=settings,
            sessions=make_sessionmaker(engine, info=outbox_info(outbox, SERVICE)),
            redis=redis,
            queue=await JobQueue.connect(settings.redis_url, settings.queue_name()),
            runner=Runner.load(settings.jobs_runner),
            worker_id=f"{socket.gethostname()}:{os.getpid()}",
        )
        stop = asyncio.Event()
        ctx.update({CONTEXT: worker, "engine": engine, "stop": stop})
        ctx["tasks"] = [
            asyncio.create_task(reaper_loop(worker, stop)),
            asyncio.create_task(_listen_for_cancels(redis, settings.redis_namespace, worker.stops)),
        ]
        _serve_metrics(settings.jobs_worker_metrics_port)

    return startup


def _serve_metrics(port: int) -> None:
    """The worker's /metrics; a taken port (a second worker on the host) only costs metrics."""
    if not port:
        return
    try:
        start_http_server(port)
    except OSError:
        log.warning("worker metrics port %s is taken; metrics disabled", port)


async def _shutdown(ctx: dict[str, Any]) -> None:
    worker: WorkerContext | None = ctx.get(CONTEXT)
    if worker is None:
        return
    worker.stops.set_all()
    ctx["stop"].set()
    for task in ctx["tasks"]:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await worker.queue.aclose()
    await worker.redis.aclose()
    await ctx["engine"].dispose()


def build_worker(settings: JobsSettings) -> Worker:
    """An arq worker running at most `jobs_worker_concurrency` jobs at once."""
    return Worker(
        functions=[func(run_experiment_job, name=TASK, max_tries=1)],
        queue_name=settings.queue_name(),
        redis_settings=redis_settings(settings.redis_url),
        max_jobs=settings.jobs_worker_concurrency,
        job_timeout=settings.jobs_job_timeout_s,
        keep_result=3600,
        poll_delay=0.2,
        on_startup=_startup(settings),
        on_shutdown=_shutdown,
        health_check_interval=30,
    )


def main() -> None:
    """Run the worker until SIGINT/SIGTERM."""
    settings = JobsSettings()
    configure_logging(f"{SERVICE}-worker", level=settings.log_level, json_output=settings.log_json)
    build_worker(settings).run()


if __name__ == "__main__":
    main()
