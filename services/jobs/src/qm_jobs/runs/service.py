"""Run use cases: record a run's start and outcome (worker), query finished runs (API)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.ids import WorkspaceId
from qm_jobs.runs.repository import RunRows
from qm_jobs.runs.tables import ExperimentRun

_OUTCOME = ["status", "metrics_json", "error", "duration_s", "finished_at"]


def describe(run_spec: Any) -> dict[str, Any]:
    """The identifying columns of a run from a runner RunSpec."""
    return {
        "run_id": str(run_spec.run_id),
        "run_index": int(run_spec.index),
        "dataset_id": str(run_spec.dataset_id),
        "signal": str(run_spec.signal),
        "params_json": dict(run_spec.params),
        "tp_ticks": int(run_spec.tp_ticks),
        "sl_ticks": int(run_spec.sl_ticks),
        "cooldown_bins": int(run_spec.cooldown_bins),
    }


async def record_started(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    job_id: uuid.UUID,
    run: dict[str, Any],
    started_at: datetime,
) -> None:
    """A run spec began (its start time is what cancel guarantees are checked against)."""
    values = {**run, "job_id": job_id, "status": "running", "metrics_json": {}}
    await RunRows(session, workspace_id).upsert({**values, "started_at": started_at}, update=[])


async def record_outcome(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    job_id: uuid.UUID,
    run: dict[str, Any],
    outcome: dict[str, Any],
    started_at: datetime,
) -> None:
    """A run spec ended: status, metrics, error, duration (inserted if its start was missed)."""
    values = {**run, **outcome, "job_id": job_id, "started_at": started_at}
    await RunRows(session, workspace_id).upsert(values, update=_OUTCOME)


async def list_runs(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    filters: dict[str, Any],
    sort: str | None,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[ExperimentRun], int]:
    """A page of the workspace's runs, filtered, sorted by a metric (missing metric last)."""
    rows = RunRows(session, workspace_id)
    return await rows.page(
        filters=filters, sort=sort, descending=descending, limit=limit, offset=offset
    )


async def runs_of_job(
    session: AsyncSession, *, workspace_id: WorkspaceId, job_id: uuid.UUID
) -> list[ExperimentRun]:
    """Every run record of a job, by index."""
    return await RunRows(session, workspace_id).of_job(job_id)
