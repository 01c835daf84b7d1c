"""HTTP routes of workspace quotas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from qm_tenancy.quotas import service
from qm_tenancy.quotas.schemas import QuotaRead, QuotaSet
from qm_web.responses import declared
from qm_web.units import Unit, workspace_unit

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/quotas", tags=["quotas"])
ERRORS = declared(400, 403, 404)


@router.get("", responses=ERRORS)
async def read_quotas(
    request: Request, unit: Annotated[Unit, workspace_unit("workspace.quotas.read")]
) -> QuotaRead:
    """The workspace's effective limits."""
    return await service.read_quota(
        unit.session, workspace_id=unit.access.workspace_id, settings=request.app.state.settings
    )


@router.post("", responses=ERRORS)
async def set_quotas(
    body: QuotaSet,
    request: Request,
    unit: Annotated[Unit, workspace_unit("workspace.quotas.manage")],
) -> QuotaRead:
    """Replace the workspace's limits (admin+)."""
    await service.set_quota(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        limits=body,
    )
    return await service.read_quota(
        unit.session, workspace_id=unit.access.workspace_id, settings=request.app.state.settings
    )
