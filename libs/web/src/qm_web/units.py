"""The request's unit of work: authorize an action, then a session scoped (RLS) to its workspace."""

# No `from __future__ import annotations`: FastAPI must evaluate the closures' annotations.

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from qm_db.uow import unit_of_work
from qm_web.deps import Access, authorize


@dataclass(frozen=True)
class Unit:
    """An authorized request's access and its workspace-scoped session."""

    access: Access
    session: AsyncSession


def workspace_unit(action: str) -> Any:
    """Authorize `action`, then open the unit of work scoped to that workspace.

    The app's `state.sessions` is the session factory. scope="function": the unit commits before
    the response is sent, so a read right after a write sees it, and a failed commit is an error
    response, never a lost write.
    """

    async def dependency(
        request: Request, access: Annotated[Access, authorize(action)]
    ) -> AsyncIterator[Unit]:
        async with unit_of_work(request.app.state.sessions, workspace_id=access.workspace_id) as s:
            yield Unit(access=access, session=s)

    return Depends(dependency, scope="function")
