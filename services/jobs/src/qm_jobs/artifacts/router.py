"""HTTP routes of job artifacts: list with checksums, download."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from qm_jobs.artifacts import service
from qm_jobs.artifacts.schemas import ArtifactRead
from qm_jobs.deps import Unit, workspace_unit
from qm_jobs.experiments import service as jobs
from qm_web.responses import declared

router = APIRouter(prefix="/v1/jobs/experiments/{job_id}/artifacts", tags=["artifacts"])
ERRORS = declared(400, 403, 404)


@router.get("", responses=ERRORS)
async def list_job_artifacts(
    job_id: uuid.UUID, unit: Annotated[Unit, workspace_unit("jobs.read")]
) -> list[ArtifactRead]:
    """The job's files with SHA-256 checksums and sizes."""
    ws = unit.access.workspace_id
    await jobs.get_job(unit.session, workspace_id=ws, job_id=job_id)
    rows = await service.list_artifacts(unit.session, workspace_id=ws, job_id=job_id)
    return [ArtifactRead.model_validate(r) for r in rows]


@router.get("/{artifact_id}/download", responses=ERRORS, response_class=FileResponse)
async def download_job_artifact(
    job_id: uuid.UUID,
    artifact_id: uuid.UUID,
    request: Request,
    unit: Annotated[Unit, workspace_unit("jobs.read")],
) -> FileResponse:
    """The file's bytes; `X-Checksum-SHA256` lets the client verify them."""
    row, path = await service.locate(
        unit.session,
        workspace_id=unit.access.workspace_id,
        job_id=job_id,
        artifact_id=artifact_id,
        root=request.app.state.settings.jobs_artifacts_dir,
    )
    headers = {"X-Checksum-SHA256": row.checksum, "ETag": f'"{row.checksum}"'}
    return FileResponse(path, filename=row.name.replace("/", "_"), headers=headers)
