"""Job use cases: submit, inspect, list, cancel, and the guarded state moves the worker uses."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import Conflict, QuotaExceeded
from qm_core.ids import WorkspaceId
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_jobs.events import JobCancelRequested, JobFinished, JobSubmitted
from qm_jobs.experiments import repository
from qm_jobs.experiments.repository import JobRows
from qm_jobs.experiments.spec_source import Submission
from qm_jobs.experiments.states import TERMINAL, JobStatus, check_transition
from qm_jobs.experiments.tables import ExperimentJob, JobEvent


async def submit_job(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    submission: Submission,
    max_jobs: int,
    max_attempts: int,
) -> tuple[ExperimentJob, JobEvent]:
    """Queue a validated spec, within the workspace's `max_jobs` active-job quota (audited)."""
    rows = JobRows(session, workspace_id)
    await rows.lock_submissions()
    active = await rows.active_count()
    if active >= max_jobs:
        raise QuotaExceeded(
            f"workspace already has {active} active jobs; its max_jobs quota is {max_jobs}",
            extra={"limit": max_jobs, "active": active},
        )
    job = _new_job(workspace_id, actor_id, submission, max_attempts)
    session.add(job)
    await session.flush()
    event = await repository.append_event(session, job, "job_state", {"status": job.status})
    await _audit_submit(session, job)
    return job, event


def _new_job(
    ws: WorkspaceId, actor: str, submission: Submission, max_attempts: int
) -> ExperimentJob:
    return ExperimentJob(
        job_id=uuid.uuid4(),
        workspace_id=ws,
        submitted_by=actor,
        spec_ref=submission.ref,
        spec_name=submission.spec.name,
        spec_hash=submission.effective_hash,
        spec_json=submission.resolved,
        datasets=submission.datasets,
        status=JobStatus.queued,
        progress_json={"done": 0, "total": submission.total_runs, "pct": 0.0},
        attempt=1,
        max_attempts=max_attempts,
        last_sequence=0,
        created_at=utcnow(),
    )


async def _audit_submit(session: AsyncSession, job: ExperimentJob) -> None:
    ws, subject = job.workspace_id, str(job.job_id)
    submitted = JobSubmitted(
        job_id=job.job_id,
        spec_ref=job.spec_ref,
        spec_hash=job.spec_hash,
        submitted_by=job.submitted_by,
    )
    await emit(session, submitted, workspace_id=ws, subject=subject)
    audit = AuditRecorded(
        actor_id=job.submitted_by,
        action="job.submitted",
        target=f"job:{job.job_id}",
        payload={"spec_ref": job.spec_ref, "spec_hash": job.spec_hash},
    )
    await emit(session, audit, workspace_id=ws)


async def get_job(
    session: AsyncSession, *, workspace_id: WorkspaceId, job_id: uuid.UUID
) -> ExperimentJob:
    """The job (NotFound when missing or in another workspace)."""
    return await JobRows(session, workspace_id).require(job_id, column="job_id")


async def list_jobs(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    status: str | None = None,
    spec_name: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ExperimentJob], int]:
    """A page of the workspace's jobs, newest first, and the total matching."""
    rows = JobRows(session, workspace_id)
    return await rows.page(status=status, spec_name=spec_name, limit=limit, offset=offset)


async def request_cancel(
    session: AsyncSession, *, workspace_id: WorkspaceId, actor_id: str, job_id: uuid.UUID
) -> tuple[ExperimentJob, list[JobEvent]]:
    """Record a durable cancel: a queued job ends now, a running one moves to canceling."""
    job = await JobRows(session, workspace_id).locked(job_id)
    if job.status in TERMINAL:
        raise Conflict(f"job {job_id} is already {job.status}")
    if job.cancel_requested_at is not None:
        return job, []
    job.cancel_requested_at, job.cancel_requested_by = utcnow(), actor_id
    target = JobStatus.canceled if job.status == JobStatus.queued else JobStatus.canceling
    events = [await move(session, job, target, reason=f"cancel requested by {actor_id}")]
    requested = JobCancelRequested(job_id=job_id, requested_by=actor_id, status=job.status)
    await emit(session, requested, workspace_id=workspace_id, subject=str(job_id))
    audit = AuditRecorded(
        actor_id=actor_id, action="job.cancel_requested", target=f"job:{job_id}", payload={}
    )
    await emit(session, audit, workspace_id=workspace_id)
    return job, events


async def move(
    session: AsyncSession,
    job: ExperimentJob,
    target: JobStatus,
    *,
    reason: str | None = None,
    error: str | None = None,
) -> JobEvent:
    """Change a locked job's status (legal moves only) and record the `job_state` event."""
    check_transition(job.status, target)
    now = utcnow()
    job.status = target
    if target == JobStatus.running:
        job.started_at = job.heartbeat_at = now
    if target in TERMINAL:
        job.completed_at = now
    if error is not None:
        job.error = error
    payload: dict[str, Any] = {"status": target.value, "attempt": job.attempt}
    if reason is not None:
        payload["reason"] = reason
    if error is not None:
        payload["error"] = error
    event = await repository.append_event(session, job, "job_state", payload)
    if target in TERMINAL:
        finished = JobFinished(job_id=job.job_id, status=target.value, error=error)
        await emit(session, finished, workspace_id=job.workspace_id, subject=str(job.job_id))
    return event


async def events_after(
    session: AsyncSession, *, workspace_id: WorkspaceId, job_id: uuid.UUID, after: int
) -> tuple[ExperimentJob, list[JobEvent]]:
    """The job and its events after sequence `after` (NotFound outside the workspace)."""
    job = await get_job(session, workspace_id=workspace_id, job_id=job_id)
    return job, await repository.events_after(session, job_id, after)
