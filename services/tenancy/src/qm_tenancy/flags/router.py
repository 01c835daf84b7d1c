"""HTTP routes of workspace feature flags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from qm_tenancy.flags import service
from qm_tenancy.flags.schemas import FlagState, FlagsUpdate
from qm_web.responses import declared
from qm_web.units import Unit, workspace_unit

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/flags", tags=["flags"])
ERRORS = declared(400, 403, 404)


@router.get("", responses=ERRORS)
async def read_flags(
    request: Request, unit: Annotated[Unit, workspace_unit("workspace.flags.read")]
) -> dict[str, FlagState]:
    """Effective flags of the workspace."""
    return await service.effective_flags(
        unit.session,
        workspace_id=unit.access.workspace_id,
        defaults=request.app.state.settings.flag_defaults(),
    )


@router.put("", responses=ERRORS)
async def set_flags(
    body: FlagsUpdate,
    request: Request,
    unit: Annotated[Unit, workspace_unit("workspace.flags.manage")],
) -> dict[str, FlagState]:
    """Override flags for the workspace (admin+)."""
    await service.override_flags(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        changes={str(k): v for k, v in body.flags.items()},
    )
    return await service.effective_flags(
        unit.session,
        workspace_id=unit.access.workspace_id,
        defaults=request.app.state.settings.flag_defaults(),
    )
