"""Queries of workspaces and memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from qm_db.repository import WorkspaceRepository
from qm_tenancy.workspaces.tables import Workspace, WorkspaceMember


class WorkspaceRows(WorkspaceRepository[Workspace]):
    """The workspace row of one workspace."""

    model = Workspace
    noun = "workspace"


class MemberRows(WorkspaceRepository[WorkspaceMember]):
    """Memberships of one workspace."""

    model = WorkspaceMember
    noun = "member"

    async def all(self) -> list[WorkspaceMember]:
        rows = await self.session.execute(self.scoped().order_by(WorkspaceMember.user_id))
        return list(rows.scalars())

    async def owners(self) -> int:
        stmt = select(func.count()).where(
            col(WorkspaceMember.workspace_id) == self.workspace_id,
            WorkspaceMember.role == "owner",
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def remove(self, user_id: str) -> None:
        await self.session.execute(
            delete(WorkspaceMember).where(
                col(WorkspaceMember.workspace_id) == self.workspace_id,
                col(WorkspaceMember.user_id) == user_id,
            )
        )


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    """Whether any workspace already uses `slug` (system scope)."""
    stmt = select(Workspace.workspace_id).where(Workspace.slug == slug)
    return (await session.execute(stmt)).first() is not None


async def workspaces_of(session: AsyncSession, user_id: str) -> list[tuple[Workspace, str]]:
    """Every workspace `user_id` belongs to, with the role (system scope)."""
    stmt = (
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, col(WorkspaceMember.workspace_id) == col(Workspace.workspace_id))
        .where(WorkspaceMember.user_id == user_id)
        .order_by(col(Workspace.created_at))
    )
    return [(ws, role) for ws, role in (await session.execute(stmt)).all()]


async def role_of(session: AsyncSession, workspace_id: uuid.UUID, user_id: str) -> str | None:
    """The role of a user in a workspace, or None (system scope)."""
    stmt = select(WorkspaceMember.role).where(
        col(WorkspaceMember.workspace_id) == workspace_id,
        col(WorkspaceMember.user_id) == user_id,
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else str(row[0])
