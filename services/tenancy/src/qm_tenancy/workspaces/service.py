"""Workspace use cases: found a workspace, admit, re-role and remove members."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import Conflict, Forbidden, NotFound
from qm_core.ids import WorkspaceId, new_workspace_id
from qm_events.contracts import AuditRecorded, MembershipChanged, WorkspaceCreated
from qm_events.outbox import emit
from qm_tenancy.workspaces import repository
from qm_tenancy.workspaces.repository import MemberRows, WorkspaceRows
from qm_tenancy.workspaces.schemas import MemberUpsert, WorkspaceCreate
from qm_tenancy.workspaces.tables import Workspace, WorkspaceMember
from qm_web.rbac import Role


async def found_workspace(
    session: AsyncSession, *, request: WorkspaceCreate, owner_id: str, owner_email: str | None
) -> Workspace:
    """Create a workspace with its creator as owner (session must be system-scoped)."""
    if await repository.slug_taken(session, request.slug):
        raise Conflict(f"workspace slug {request.slug!r} is already taken")
    now = utcnow()
    workspace = Workspace(
        workspace_id=new_workspace_id(),
        slug=request.slug,
        name=request.name,
        created_by=owner_id,
        created_at=now,
    )
    session.add(workspace)
    session.add(
        WorkspaceMember(
            workspace_id=workspace.workspace_id,
            user_id=owner_id,
            role="owner",
            email=owner_email,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    ws = workspace.workspace_id
    await emit(
        session,
        WorkspaceCreated(display_name=request.name, slug=request.slug, owner_id=owner_id),
        workspace_id=ws,
        subject=str(ws),
    )
    await emit(
        session,
        AuditRecorded(
            actor_id=owner_id,
            action="workspace.created",
            target=f"workspace:{ws}",
            payload={"slug": request.slug, "name": request.name},
        ),
        workspace_id=ws,
    )
    return workspace


async def get_workspace(session: AsyncSession, *, workspace_id: WorkspaceId) -> Workspace:
    """The workspace (NotFound when missing)."""
    return await WorkspaceRows(session, workspace_id).require(workspace_id, column="workspace_id")


async def list_members(
    session: AsyncSession, *, workspace_id: WorkspaceId
) -> list[WorkspaceMember]:
    """Every member of the workspace."""
    return await MemberRows(session, workspace_id).all()


def _check_may_grant(actor_role: Role, current: Role | None, new: Role | None) -> None:
    if Role.owner in (current, new) and actor_role < Role.owner:
        raise Forbidden("only an owner can grant, change or remove the owner role")


async def admit_member(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    actor_role: Role,
    request: MemberUpsert,
) -> tuple[WorkspaceMember, bool]:
    """Add a member or change a member's role; returns (member, created)."""
    rows = MemberRows(session, workspace_id)
    existing = await rows.get(request.user_id, column="user_id")
    current = Role.parse(existing.role) if existing else None
    new = Role.parse(request.role)
    _check_may_grant(actor_role, current, new)
    if existing is not None and current == new:
        raise Conflict(f"{request.user_id} is already a member with role {request.role}")
    now = utcnow()
    if existing is None:
        member = WorkspaceMember(
            workspace_id=workspace_id,
            user_id=request.user_id,
            role=request.role,
            email=request.email,
            created_at=now,
            updated_at=now,
        )
        session.add(member)
    else:
        if current == Role.owner and await rows.owners() <= 1:
            raise Conflict("a workspace must keep at least one owner")
        member = existing
        member.role, member.updated_at = request.role, now
        member.email = request.email or member.email
    await session.flush()
    await _membership_changed(
        session,
        workspace_id,
        actor_id,
        request.user_id,
        request.role,
        "member.added" if existing is None else "member.role_changed",
    )
    return member, existing is None


async def remove_member(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    actor_role: Role,
    user_id: str,
) -> None:
    """Remove a member (never the last owner)."""
    rows = MemberRows(session, workspace_id)
    existing = await rows.get(user_id, column="user_id")
    if existing is None:
        raise NotFound(f"member {user_id} not found")
    current = Role.parse(existing.role)
    _check_may_grant(actor_role, current, None)
    if current == Role.owner and await rows.owners() <= 1:
        raise Conflict("a workspace must keep at least one owner")
    await rows.remove(user_id)
    await _membership_changed(session, workspace_id, actor_id, user_id, None, "member.removed")


async def _membership_changed(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    actor_id: str,
    user_id: str,
    role: str | None,
    action: str,
) -> None:
    await emit(
        session,
        MembershipChanged(user_id=user_id, role=role),
        workspace_id=workspace_id,
        subject=user_id,
    )
    await emit(
        session,
        AuditRecorded(
            actor_id=actor_id, action=action, target=f"member:{user_id}", payload={"role": role}
        ),
        workspace_id=workspace_id,
    )
