"""Internal API for other services (service token; never routed by the gateway)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from qm_core.errors import NotFound
from qm_core.ids import WorkspaceId
from qm_tenancy.deps import SystemSession
from qm_tenancy.flags import service as flags
from qm_tenancy.flags.schemas import FlagState
from qm_tenancy.quotas import service as quotas
from qm_tenancy.quotas.schemas import QuotaRead
from qm_tenancy.workspaces import repository
from qm_web.deps import ServiceCaller

router = APIRouter(prefix="/internal/v1/workspaces/{workspace_id}", tags=["internal"])


@router.get("/members/{user_id}")
async def read_membership(
    workspace_id: uuid.UUID, user_id: str, _: ServiceCaller, session: SystemSession
) -> dict[str, str]:
    """A user's role in a workspace (404 when not a member)."""
    role = await repository.role_of(session, workspace_id, user_id)
    if role is None:
        raise NotFound(f"{user_id} is not a member of workspace {workspace_id}")
    return {"workspace_id": str(workspace_id), "user_id": user_id, "role": role}


@router.get("/quotas")
async def read_workspace_quotas(
    workspace_id: uuid.UUID, request: Request, _: ServiceCaller, session: SystemSession
) -> QuotaRead:
    """The workspace's effective limits."""
    return await quotas.read_quota(
        session, workspace_id=WorkspaceId(workspace_id), settings=request.app.state.settings
    )


@router.get("/flags")
async def read_workspace_flags(
    workspace_id: uuid.UUID, request: Request, _: ServiceCaller, session: SystemSession
) -> dict[str, FlagState]:
    """The workspace's effective feature flags."""
    return await flags.effective_flags(
        session,
        workspace_id=WorkspaceId(workspace_id),
        defaults=request.app.state.settings.flag_defaults(),
    )
