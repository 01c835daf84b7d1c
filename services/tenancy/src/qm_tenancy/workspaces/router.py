"""HTTP routes of workspaces and members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from qm_tenancy.deps import SystemSession
from qm_tenancy.workspaces import repository, service
from qm_tenancy.workspaces.schemas import MemberRead, MemberUpsert, WorkspaceCreate, WorkspaceRead
from qm_web.deps import Authenticated
from qm_web.responses import declared
from qm_web.units import Unit, workspace_unit

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])
ERRORS = declared(400, 403, 404)


@router.post("", status_code=status.HTTP_201_CREATED, responses=declared(409))
async def create_workspace(
    body: WorkspaceCreate, principal: Authenticated, session: SystemSession
) -> WorkspaceRead:
    """Found a workspace; the caller becomes its owner."""
    ws = await service.found_workspace(
        session, request=body, owner_id=principal.sub, owner_email=principal.email
    )
    return WorkspaceRead.model_validate(ws, from_attributes=True).model_copy(
        update={"role": "owner"}
    )


@router.get("")
async def list_my_workspaces(
    principal: Authenticated, session: SystemSession
) -> list[WorkspaceRead]:
    """Every workspace the caller belongs to, with the caller's role."""
    rows = await repository.workspaces_of(session, principal.sub)
    return [
        WorkspaceRead.model_validate(ws, from_attributes=True).model_copy(update={"role": role})
        for ws, role in rows
    ]


@router.get("/{workspace_id}", responses=ERRORS)
async def read_workspace(unit: Annotated[Unit, workspace_unit("workspace.read")]) -> WorkspaceRead:
    """One workspace the caller belongs to."""
    ws = await service.get_workspace(unit.session, workspace_id=unit.access.workspace_id)
    read = WorkspaceRead.model_validate(ws, from_attributes=True)
    return read.model_copy(update={"role": unit.access.role.name})


@router.get("/{workspace_id}/members", responses=ERRORS)
async def list_members(
    unit: Annotated[Unit, workspace_unit("workspace.members.read")],
) -> list[MemberRead]:
    """Members of the workspace."""
    members = await service.list_members(unit.session, workspace_id=unit.access.workspace_id)
    return [MemberRead.model_validate(m, from_attributes=True) for m in members]


@router.post("/{workspace_id}/members", responses=declared(400, 403, 404, 409))
async def upsert_member(
    body: MemberUpsert,
    response: Response,
    unit: Annotated[Unit, workspace_unit("workspace.members.manage")],
) -> MemberRead:
    """Add a member (201) or change a member's role (200)."""
    member, created = await service.admit_member(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        actor_role=unit.access.role,
        request=body,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return MemberRead.model_validate(member, from_attributes=True)


@router.delete(
    "/{workspace_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS
)
async def remove_member(
    user_id: str, unit: Annotated[Unit, workspace_unit("workspace.members.manage")]
) -> Response:
    """Remove a member (never the last owner)."""
    await service.remove_member(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        actor_role=unit.access.role,
        user_id=user_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
