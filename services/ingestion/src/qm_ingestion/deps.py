"""Ingestion's request dependencies: a unit of work scoped to the authorized workspace."""

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
    """Authorize `action`, then open the unit of work scoped (RLS) to that workspace."""

    async def dependency(
        request: Request, access: Annotated[Access, authorize(action)]
    ) -> AsyncIterator[Unit]:
        async with unit_of_work(request.app.state.sessions, workspace_id=access.workspace_id) as s:
            yield Unit(access=access, session=s)

    # commit before the response is sent: a read right after a write sees it
    return Depends(dependency, scope="function")
