"""The one unit of work: commit on success, roll back on error; code below it never commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_core.ids import WorkspaceId
from qm_db.rls import scope_to_system, scope_to_workspace


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
    *,
    workspace_id: WorkspaceId | None = None,
    system: bool = False,
) -> AsyncIterator[AsyncSession]:
    """Open a session in a transaction, scoped to a workspace (RLS) or to the system.

    The request dependency, the job wrapper and the event consumer all use this; nothing else
    calls `commit()`.
    """
    async with sessions() as session:
        try:
            if workspace_id is not None:
                await scope_to_workspace(session, workspace_id)
            elif system:
                await scope_to_system(session)
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
