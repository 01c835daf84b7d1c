"""One job attempt on a worker: claim it, drive the runner, heartbeat, finish or fail it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qm_core.clock import utcnow
from qm_core.ids import WorkspaceId
from qm_db.uow import unit_of_work
from qm_jobs import live
from qm_jobs.artifacts import service as artifacts
from qm_jobs.execution.context import WorkerContext
from qm_jobs.execution.progress import Item, ProgressSink, advance, thread_reporter
from qm_jobs.execution.runner import produced_files, result_fields
from qm_jobs.experiments import repository as job_rows
from qm_jobs.experiments import service as jobs
from qm_jobs.experiments.states import JobStatus
from qm_jobs.experiments.tables import ExperimentJob, JobEvent
from qm_jobs.metrics import FINISHED, RUN_SECONDS, RUNNING, RUNS
from qm_jobs.runs import service as runs

log = logging.getLogger("qm.jobs.worker")
MAX_ERROR_CHARS = 20_000
DEFAULT_WALL_S = 4 * 3600  # the ExperimentSpec default


async def execute(ctx: WorkerContext, job_id: uuid.UUID, ws: WorkspaceId, attempt: int) -> str:
    """Run one attempt of a job; returns what happened (for arq's result log)."""
    job = await _claim(ctx, job_id, ws, attempt)
    if job is None:
        return "skipped"
    stop = ctx.stops.open(job_id)
    RUNNING.inc()
    try:
        if job.cancel_requested_at is not None:
            return await _close(ctx, job, None, [])
        budget = Budget.of(job)
        outcome, files = await _drive(ctx, job, stop, budget)
        return await _close(ctx, job, outcome, files, budget)
    except asyncio.CancelledError:
        stop.set()  # worker shutdown: stop the runner; the reaper retries the attempt
        raise
    except Exception as exc:
        log.exception("job failed", extra={"job_id": str(job_id)})
        return await _fail(ctx, job, exc)
    finally:
        RUNNING.dec()
        ctx.stops.close(job_id)


async def _claim(
    ctx: WorkerContext, job_id: uuid.UUID, ws: WorkspaceId, attempt: int
) -> ExperimentJob | None:
    """queued -> running for exactly this attempt; anything else is a stale or repeated delivery."""
    async with unit_of_work(ctx.sessions, workspace_id=ws) as session:
        job = await job_rows.lock_job(session, job_id)
        if job is None or job.attempt != attempt or job.status != JobStatus.queued:
            return None
        job.worker_id = ctx.worker_id
        event = await jobs.move(session, job, JobStatus.running)
    await _publish(ctx, [event])
    return job


@dataclass
class Budget:
    """The experiment's `budget.max_wall_seconds`: past it the runner is stopped (runs kept)."""

    max_wall_seconds: float
    exceeded: bool = False

    @classmethod
    def of(cls, job: ExperimentJob) -> Budget:
        # spec_json is the resolved config: {..., "experiment": {..., "budget": {...}}}
        budget = (job.spec_json.get("experiment") or {}).get("budget") or {}
        return cls(float(budget.get("max_wall_seconds", DEFAULT_WALL_S)))

    async def enforce(self, stop: threading.Event) -> None:
        """Stop the runner when the budget runs out (cancelled when the job ends first)."""
        await asyncio.sleep(self.max_wall_seconds)
        self.exceeded = True
        stop.set()

    def reason(self) -> str:
        return (
            f"over budget.max_wall_seconds ({self.max_wall_seconds:g} s): stopped, "
            "finished runs kept"
        )


async def _drive(
    ctx: WorkerContext, job: ExperimentJob, stop: threading.Event, budget: Budget
) -> tuple[Any, list[Path]]:
    settings = ctx.settings
    spec, datasets = job.spec_json, list(job.datasets)
    lake, job_dir = settings.jobs_lake_dir, _job_dir(ctx, job)
    specs = await asyncio.to_thread(ctx.runner.expand, spec, lake=lake, datasets=datasets)
    described = {str(s.run_id): runs.describe(s) for s in specs}
    await _set_total(ctx, job, len(described))
    loop, inbox = asyncio.get_running_loop(), asyncio.Queue[Item]()
    sink = asyncio.create_task(ProgressSink(ctx, job, described).drain(inbox))
    beat = asyncio.create_task(_heartbeat(ctx, job, stop))
    guard = asyncio.create_task(budget.enforce(stop))
    try:
        outcome = await asyncio.to_thread(
            ctx.runner.run,
            spec,
            lake=lake,
            out_dir=job_dir,
            workers=settings.jobs_runner_workers,
            progress=thread_reporter(loop, inbox),
            is_cancelled=stop.is_set,
            datasets=datasets,
        )
    finally:
        inbox.put_nowait(None)
        await asyncio.shield(sink)
        for task in (beat, guard):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return outcome, produced_files(outcome, job_dir)


def _job_dir(ctx: WorkerContext, job: ExperimentJob) -> Path:
    path = ctx.settings.jobs_artifacts_dir / str(job.workspace_id) / str(job.job_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _set_total(ctx: WorkerContext, job: ExperimentJob, total: int) -> None:
    async with unit_of_work(ctx.sessions, workspace_id=job.workspace) as session:
        locked = await job_rows.lock_job(session, job.job_id)
        events = [] if locked is None else await advance(session, locked, 0, total)
    await _publish(ctx, events)


async def _heartbeat(ctx: WorkerContext, job: ExperimentJob, stop: threading.Event) -> None:
    """Prove liveness, and read the durable cancel flag (pub/sub is only the fast path)."""
    while True:
        try:
            async with unit_of_work(ctx.sessions, workspace_id=job.workspace) as session:
                locked = await job_rows.lock_job(session, job.job_id)
                if locked is not None:
                    locked.heartbeat_at = utcnow()
                    if locked.cancel_requested_at is not None:
                        stop.set()
        except Exception:  # the database may blip; the next beat retries
            log.warning("heartbeat failed", extra={"job_id": str(job.job_id)}, exc_info=True)
        await asyncio.sleep(ctx.settings.jobs_heartbeat_s)


async def _close(
    ctx: WorkerContext,
    job: ExperimentJob,
    outcome: Any,
    files: list[Path],
    budget: Budget | None = None,
) -> str:
    """Record final run results and artifacts, then the terminal state."""
    results = list(getattr(outcome, "runs", None) or [])
    digests = await _digests(ctx, job, files)
    async with unit_of_work(ctx.sessions, workspace_id=job.workspace) as session:
        locked = await job_rows.lock_job(session, job.job_id)
        if locked is None:
            return "vanished"
        await _store_results(session, locked, results)
        await artifacts.register(
            session, workspace_id=locked.workspace, job_id=locked.job_id, files=digests
        )
        events = await _final_state(session, locked, outcome, budget)
        status = locked.status
    _observe(results, status)
    await _publish(ctx, events)
    return status


async def _final_state(
    session: Any, job: ExperimentJob, outcome: Any, budget: Budget | None
) -> list[JobEvent]:
    events: list[JobEvent] = []
    if job.cancel_requested_at is not None and job.status == JobStatus.running:
        events.append(await jobs.move(session, job, JobStatus.canceling))
    if job.status == JobStatus.canceling and (outcome is None or outcome.cancelled):
        events.append(await jobs.move(session, job, JobStatus.canceled, reason="canceled"))
    elif outcome is not None and outcome.cancelled and budget is not None and budget.exceeded:
        reason = budget.reason()
        events.append(await jobs.move(session, job, JobStatus.failed, reason=reason, error=reason))
    elif outcome is not None and outcome.cancelled:
        reason = "runner stopped without a cancel request (worker shutdown)"
        events.append(await jobs.move(session, job, JobStatus.failed, error=reason))
    else:
        events.append(await jobs.move(session, job, JobStatus.succeeded))
    return events


async def _store_results(session: Any, job: ExperimentJob, results: list[Any]) -> None:
    now = utcnow()
    for result in results:
        await runs.record_outcome(
            session,
            workspace_id=job.workspace,
            job_id=job.job_id,
            run=runs.describe(result.run_spec),
            outcome={**result_fields(result), "finished_at": now},
            started_at=now,
        )


async def _fail(ctx: WorkerContext, job: ExperimentJob, exc: BaseException) -> str:
    """Keep the trace (as the job's error and a log artifact) and whatever runs finished."""
    trace = "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]
    job_dir = _job_dir(ctx, job)
    (job_dir / "error.txt").write_text(trace, encoding="utf-8")
    digests = await _digests(ctx, job, produced_files(None, job_dir))
    async with unit_of_work(ctx.sessions, workspace_id=job.workspace) as session:
        locked = await job_rows.lock_job(session, job.job_id)
        if locked is None or locked.status not in (JobStatus.running, JobStatus.canceling):
            return "vanished"
        await artifacts.register(
            session, workspace_id=locked.workspace, job_id=locked.job_id, files=digests
        )
        reason = f"{type(exc).__name__}: {exc}"
        event = await jobs.move(session, locked, JobStatus.failed, reason=reason, error=trace)
    FINISHED.labels(JobStatus.failed.value).inc()
    await _publish(ctx, [event])
    return JobStatus.failed.value


async def _digests(
    ctx: WorkerContext, job: ExperimentJob, files: list[Path]
) -> list[artifacts.FileDigest]:
    """Checksums of the job's files plus a manifest listing them (written last)."""
    root, job_dir = ctx.settings.jobs_artifacts_dir.resolve(), _job_dir(ctx, job).resolve()
    manifest = job_dir / "manifest.json"
    files = [f for f in files if f != manifest]
    found = [await asyncio.to_thread(artifacts.digest, root, f, job_dir) for f in files]
    listing = [{"name": d.name, "sha256": d.checksum, "size": d.size} for d in found]
    manifest.write_text(json.dumps({"job_id": str(job.job_id), "files": listing}, indent=2))
    return [*found, await asyncio.to_thread(artifacts.digest, root, manifest, job_dir)]


def _observe(results: list[Any], status: str) -> None:
    FINISHED.labels(status).inc()
    for result in results:
        RUNS.labels(str(result.status)).inc()
        if result.duration_s is not None:
            RUN_SECONDS.observe(float(result.duration_s))


async def _publish(ctx: WorkerContext, events: list[JobEvent]) -> None:
    try:
        await live.publish_events(ctx.redis, ctx.settings.redis_namespace, events)
    except Exception:  # clients fall back to the database; never fail a job over this
        log.warning("live publish failed", exc_info=True)
