"""The reaper: a job whose worker died (stale heartbeat) is retried once more or failed with a
reason, never left running; a queued job whose enqueue was lost is queued again."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_db.uow import unit_of_work
from qm_jobs import live
from qm_jobs.execution.context import Infra
from qm_jobs.experiments import repository as job_rows
from qm_jobs.experiments import service as jobs
from qm_jobs.experiments.states import JobStatus
from qm_jobs.experiments.tables import ExperimentJob, JobEvent
from qm_jobs.metrics import FINISHED, QUEUE_DEPTH, REAPED

log = logging.getLogger("qm.jobs.reaper")


async def reap_once(ctx: Infra) -> int:
    """One pass; returns how many dead attempts were settled."""
    stale_s = ctx.settings.jobs_stale_after_s
    retries: list[ExperimentJob] = []
    events: list[JobEvent] = []
    async with unit_of_work(ctx.sessions, system=True) as session:
        for job in await job_rows.stale_jobs(session, utcnow() - timedelta(seconds=stale_s)):
            seen = job.heartbeat_at or job.started_at
            lost = f"worker {job.worker_id or '?'} lost: no heartbeat since {seen:%H:%M:%S}Z"
            outcome, event = await _decide(session, job, lost)
            REAPED.labels(outcome).inc()
            events.append(event)
            if outcome == "retried":
                retries.append(job)
    for job in retries:
        await ctx.queue.enqueue(job.job_id, job.workspace_id, job.attempt)
    await live.publish_events(ctx.redis, ctx.settings.redis_namespace, events)
    return len(events)


async def _decide(session: AsyncSession, job: ExperimentJob, lost: str) -> tuple[str, JobEvent]:
    if job.cancel_requested_at is not None:
        if job.status == JobStatus.running:
            await jobs.move(session, job, JobStatus.canceling)
        FINISHED.labels(JobStatus.canceled.value).inc()
        event = await jobs.move(session, job, JobStatus.canceled, reason=lost)
        return "canceled", event
    if job.attempt < job.max_attempts:
        job.attempt, job.worker_id = job.attempt + 1, None
        reason = f"{lost}; retrying (attempt {job.attempt} of {job.max_attempts})"
        event = await jobs.move(session, job, JobStatus.queued, reason=reason)
        return "retried", event
    error = f"{lost}; gave up after {job.attempt} attempts"
    FINISHED.labels(JobStatus.failed.value).inc()
    event = await jobs.move(session, job, JobStatus.failed, reason=error, error=error)
    return "failed", event


async def requeue_lost(ctx: Infra) -> int:
    """Queue again the queued jobs arq does not hold (an enqueue lost after the commit)."""
    before = utcnow() - timedelta(seconds=ctx.settings.jobs_requeue_after_s)
    async with unit_of_work(ctx.sessions, system=True) as session:
        waiting = await job_rows.waiting_jobs(session, before)
    requeued = 0
    for job in waiting:
        requeued += int(await ctx.queue.enqueue(job.job_id, job.workspace_id, job.attempt))
    return requeued


async def reaper_loop(ctx: Infra, stop: asyncio.Event) -> None:
    """Reap and requeue every `jobs_reaper_interval_s` until stopped."""
    while not stop.is_set():
        try:
            await reap_once(ctx)
            await requeue_lost(ctx)
            QUEUE_DEPTH.set(await ctx.queue.depth())
        except Exception:  # keep reaping after a database or Redis blip
            log.warning("reaper pass failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.jobs_reaper_interval_s)
        except TimeoutError:
            continue
