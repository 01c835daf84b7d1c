"""HTTP routes of run results."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from qm_jobs.deps import Unit, workspace_unit
from qm_jobs.runs import service
from qm_jobs.runs.schemas import RunPage, RunRead
from qm_web.responses import declared

router = APIRouter(prefix="/v1/experiments/runs", tags=["runs"])


@router.get("", responses=declared(400, 403, 404))
async def list_experiment_runs(
    unit: Annotated[Unit, workspace_unit("jobs.read")],
    job_id: uuid.UUID | None = None,
    dataset_id: Annotated[str | None, Query(max_length=200)] = None,
    signal: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["running", "succeeded", "failed"] | None = None,
    sort: Annotated[str | None, Query(max_length=64, description="a metric name")] = None,
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunPage:
    """Results of runs, filtered by job, dataset, signal or status, sorted by a metric."""
    given = {"job_id": job_id, "dataset_id": dataset_id, "signal": signal, "status": status}
    rows, total = await service.list_runs(
        unit.session,
        workspace_id=unit.access.workspace_id,
        filters={k: v for k, v in given.items() if v is not None},
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    items = [RunRead.model_validate(r) for r in rows]
    return RunPage(items=items, total=total, limit=limit, offset=offset)
