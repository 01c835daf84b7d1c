"""Workspace-scoped repository base: every query of tenant data starts from `scoped(...)`."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.errors import NotFound
from qm_core.ids import WorkspaceId

T = TypeVar("T")


class WorkspaceRepository(Generic[T]):
    """Base for repositories of one workspace-owned table (a `workspace_id` column)."""

    model: type[T]
    noun: str = "resource"

    def __init__(self, session: AsyncSession, workspace_id: WorkspaceId) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def scoped(self) -> Select[Any]:
        """SELECT of the model limited to this repository's workspace."""
        column: Any = self.model.workspace_id  # type: ignore[attr-defined]
        return select(self.model).where(column == self.workspace_id)

    async def get(self, ident: Any, *, column: str = "id") -> T | None:
        """One row of this workspace by a key column, or None."""
        stmt = self.scoped().where(getattr(self.model, column) == ident)
        row: T | None = (await self.session.execute(stmt)).scalars().first()
        return row

    async def require(self, ident: Any, *, column: str = "id") -> T:
        """One row of this workspace; NotFound (never a leak of other workspaces) if absent."""
        row = await self.get(ident, column=column)
        if row is None:
            raise NotFound(f"{self.noun} {ident} not found")
        return row
