"""HTTP routes of serving versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from qm_serving.deps import Unit, workspace_unit
from qm_serving.versions import service
from qm_serving.versions.schemas import RegisterResult, VersionDetail, VersionRead, VersionRegister
from qm_web.responses import declared

router = APIRouter(prefix="/v1/serving/versions", tags=["serving"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=declared(400, 403, 404))
async def register_version(
    body: VersionRegister,
    request: Request,
    response: Response,
    unit: Annotated[Unit, workspace_unit("serving.register")],
) -> RegisterResult:
    """Preflight and store an immutable version (200 when identical content already exists)."""
    row, created = await service.register_version(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        request=body,
        configs_dir=Path(request.app.state.settings.serving_configs_dir),
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    read = VersionRead.model_validate(row, from_attributes=True)
    return RegisterResult(**read.model_dump(), created=created)


@router.get("", responses=declared(400, 403, 404))
async def list_versions(
    unit: Annotated[Unit, workspace_unit("serving.read")],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[VersionRead]:
    """Versions of the workspace, newest first."""
    rows = await service.list_versions(
        unit.session, workspace_id=unit.access.workspace_id, limit=limit
    )
    return [VersionRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{serving_id}", responses=declared(400, 403, 404, 409))
async def read_version(
    serving_id: str, unit: Annotated[Unit, workspace_unit("serving.read")]
) -> VersionDetail:
    """One version with its published spec; 409 integrity_failed if the stored spec was altered."""
    verified = await service.load_version(
        unit.session, workspace_id=unit.access.workspace_id, serving_id=serving_id
    )
    read = VersionRead.model_validate(verified.row, from_attributes=True)
    return VersionDetail(**read.model_dump(), spec=json.loads(verified.row.spec_json))
