"""Tenancy's request dependencies: a unit of work scoped to the authorized workspace, or system."""

# No `from __future__ import annotations`: FastAPI must evaluate the closures' annotations.

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_db.uow import unit_of_work
from qm_tenancy.workspaces import repository
from qm_web.rbac import Role


async def system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A unit of work that may see every workspace (creation, listing mine, internal lookups)."""
    async with unit_of_work(request.app.state.sessions, system=True) as session:
        yield session


SystemSession = Annotated[AsyncSession, Depends(system_session, scope="function")]


class LocalMembership:
    """Tenancy resolves roles from its own tables (other services ask its internal API)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def role_of(self, workspace_id: uuid.UUID, user_id: str) -> Role | None:
        async with unit_of_work(self._sessions, system=True) as session:
            role = await repository.role_of(session, workspace_id, user_id)
        return None if role is None else Role.parse(role)
