"""Every query of jobs and job events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from qm_core.clock import utcnow
from qm_db.repository import WorkspaceRepository
from qm_jobs.experiments.states import ACTIVE, JobStatus
from qm_jobs.experiments.tables import ExperimentJob, JobEvent


class JobRows(WorkspaceRepository[ExperimentJob]):
    """Jobs of one workspace."""

    model = ExperimentJob
    noun = "job"

    async def locked(self, job_id: uuid.UUID) -> ExperimentJob:
        """The job, row-locked for this transaction (NotFound outside the workspace)."""
        stmt = self.scoped().where(col(ExperimentJob.job_id) == job_id).with_for_update()
        row: ExperimentJob | None = (await self.session.execute(stmt)).scalars().first()
        if row is None:
            return await self.require(job_id, column="job_id")
        return row

    async def lock_submissions(self) -> None:
        """Serialize submissions of this workspace so the quota count cannot race."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"jobs:submit:{self.workspace_id}"},
        )

    async def active_count(self) -> int:
        stmt = select(func.count()).where(
            col(ExperimentJob.workspace_id) == self.workspace_id,
            col(ExperimentJob.status).in_([s.value for s in ACTIVE]),
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def page(
        self, *, status: str | None, spec_name: str | None, limit: int, offset: int
    ) -> tuple[list[ExperimentJob], int]:
        stmt = self.scoped()
        if status is not None:
            stmt = stmt.where(col(ExperimentJob.status) == status)
        if spec_name is not None:
            stmt = stmt.where(col(ExperimentJob.spec_name) == spec_name)
        total = await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(col(ExperimentJob.created_at).desc(), col(ExperimentJob.job_id))
        rows = await self.session.execute(ordered.limit(limit).offset(offset))
        return list(rows.scalars()), int(total.scalar_one())


async def append_event(
    session: AsyncSession, job: ExperimentJob, event_type: str, payload: dict[str, Any]
) -> JobEvent:
    """Add the job's next event; the caller holds the job's row lock, so sequences never gap."""
    job.last_sequence += 1
    event = JobEvent(
        job_id=job.job_id,
        sequence=job.last_sequence,
        workspace_id=job.workspace_id,
        event_type=event_type,
        payload_json=payload,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    return event


async def events_after(
    session: AsyncSession, job_id: uuid.UUID, after: int, limit: int = 500
) -> list[JobEvent]:
    """Events of a job with sequence > `after`, in order (RLS limits them to the workspace)."""
    stmt = (
        select(JobEvent)
        .where(col(JobEvent.job_id) == job_id, col(JobEvent.sequence) > after)
        .order_by(col(JobEvent.sequence))
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_job(session: AsyncSession, job_id: uuid.UUID) -> ExperimentJob | None:
    """Any workspace's job, row-locked (worker and reaper: system or workspace scope)."""
    stmt = select(ExperimentJob).where(col(ExperimentJob.job_id) == job_id).with_for_update()
    row: ExperimentJob | None = (await session.execute(stmt)).scalars().first()
    return row


async def stale_jobs(session: AsyncSession, before: datetime) -> list[ExperimentJob]:
    """Running or canceling jobs whose last heartbeat is older than `before` (locked, skip)."""
    stmt = (
        select(ExperimentJob)
        .where(
            col(ExperimentJob.status).in_([JobStatus.running.value, JobStatus.canceling.value]),
            func.coalesce(col(ExperimentJob.heartbeat_at), col(ExperimentJob.started_at)) < before,
        )
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def waiting_jobs(session: AsyncSession, before: datetime) -> list[ExperimentJob]:
    """Queued jobs created before `before` (candidates for a lost enqueue)."""
    stmt = select(ExperimentJob).where(
        col(ExperimentJob.status) == JobStatus.queued.value,
        col(ExperimentJob.created_at) < before,
    )
    return list((await session.execute(stmt)).scalars())
