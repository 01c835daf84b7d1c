"""HTTP routes of experiment jobs: submit, read, list, cancel, follow events."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from qm_core.errors import QuotaExceeded
from qm_db.uow import unit_of_work
from qm_jobs import live
from qm_jobs.deps import Unit, gated, workspace_unit
from qm_jobs.experiments import service
from qm_jobs.experiments.schemas import JobPage, JobRead, JobSubmit
from qm_jobs.experiments.spec_source import prepare
from qm_jobs.experiments.sse import StreamSource, job_stream
from qm_jobs.experiments.states import JobStatus
from qm_jobs.metrics import REJECTED, SUBMITTED
from qm_web.deps import Access
from qm_web.responses import declared

router = APIRouter(prefix="/v1/jobs/experiments", tags=["jobs"])
ERRORS = declared(400, 403, 404)


@router.post("", status_code=202, responses=declared(400, 403, 404, 429))
async def submit_experiment(
    body: JobSubmit, request: Request, unit: Annotated[Unit, workspace_unit("jobs.submit")]
) -> JobRead:
    """Validate the spec, check the quota, queue the job (202: it runs asynchronously)."""
    state = request.app.state
    submission = await asyncio.to_thread(
        prepare,
        inline=body.spec,
        spec_ref=body.spec_ref,
        datasets=body.datasets,
        configs=state.settings.jobs_configs_dir,
        lake=state.settings.jobs_lake_dir,
    )
    quotas = await state.limits.quotas(unit.access.workspace_id)
    try:
        job, event = await service.submit_job(
            unit.session,
            workspace_id=unit.access.workspace_id,
            actor_id=unit.access.principal.sub,
            submission=submission,
            max_jobs=int(quotas["max_jobs"]),
            max_attempts=state.settings.jobs_max_attempts,
        )
    except QuotaExceeded:
        REJECTED.labels("quota").inc()
        raise
    unit.after_commit.append(partial(state.queue.enqueue, job.job_id, job.workspace_id, 1))
    unit.after_commit.append(partial(live.publish_events, state.redis, state.namespace, [event]))
    SUBMITTED.inc()
    return JobRead.model_validate(job)


@router.get("", responses=ERRORS)
async def list_experiments(
    unit: Annotated[Unit, workspace_unit("jobs.read")],
    status: JobStatus | None = None,
    spec_name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobPage:
    """The workspace's jobs, newest first, optionally by status or spec name."""
    rows, total = await service.list_jobs(
        unit.session,
        workspace_id=unit.access.workspace_id,
        status=status.value if status else None,
        spec_name=spec_name,
        limit=limit,
        offset=offset,
    )
    items = [JobRead.model_validate(r) for r in rows]
    return JobPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{job_id}", responses=ERRORS)
async def read_experiment(
    job_id: uuid.UUID, unit: Annotated[Unit, workspace_unit("jobs.read")]
) -> JobRead:
    """One job with its status, progress and error."""
    job = await service.get_job(unit.session, workspace_id=unit.access.workspace_id, job_id=job_id)
    return JobRead.model_validate(job)


@router.post("/{job_id}/cancel", status_code=202, responses=declared(400, 403, 404, 409))
async def cancel_experiment(
    job_id: uuid.UUID, request: Request, unit: Annotated[Unit, workspace_unit("jobs.cancel")]
) -> JobRead:
    """Ask the job to stop; no new run spec starts once this returns (409 when finished)."""
    state = request.app.state
    job, events = await service.request_cancel(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        job_id=job_id,
    )
    unit.after_commit.append(partial(live.nudge_cancel, state.redis, state.namespace, job_id))
    unit.after_commit.append(partial(live.publish_events, state.redis, state.namespace, events))
    return JobRead.model_validate(job)


@router.get("/{job_id}/events", responses=ERRORS, response_class=StreamingResponse)
async def follow_experiment_events(
    job_id: uuid.UUID,
    request: Request,
    access: Annotated[Access, gated("jobs.read")],
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    after: Annotated[int | None, Query(ge=0, description="resume point without the header")] = None,
) -> StreamingResponse:
    """Server-Sent Events: `id:` is the job's event sequence; send `Last-Event-ID` to resume."""
    state = request.app.state
    source = StreamSource(
        sessions=state.sessions,
        redis=state.redis,
        namespace=state.namespace,
        keepalive_s=state.settings.jobs_sse_keepalive_s,
        poll_s=state.settings.jobs_sse_poll_s,
    )
    ws = access.workspace_id
    async with unit_of_work(state.sessions, workspace_id=ws) as session:
        await service.get_job(session, workspace_id=ws, job_id=job_id)
    resume = last_event_id if last_event_id is not None else (after or 0)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        job_stream(source, ws, job_id, resume), media_type="text/event-stream", headers=headers
    )
