"""HTTP route of the version diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from qm_serving.deps import Unit, workspace_unit
from qm_serving.diff import service
from qm_serving.diff.schemas import DiffRead, DiffRequest
from qm_web.responses import declared

router = APIRouter(prefix="/v1/serving", tags=["serving"])


@router.post("/diff", responses=declared(400, 403, 404, 409))
async def diff_versions(
    body: DiffRequest, unit: Annotated[Unit, workspace_unit("serving.read")]
) -> DiffRead:
    """Structured deep diff of what two versions serve (aliases or serving ids)."""
    return await service.diff_versions(
        unit.session, workspace_id=unit.access.workspace_id, a=body.a, b=body.b
    )
