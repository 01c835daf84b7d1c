"""Jobs' request dependencies: authorize, gate on ff_experiment_jobs, scope the unit of work."""

# No `from __future__ import annotations`: FastAPI must evaluate the closures' annotations.

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.errors import Forbidden
from qm_db.uow import unit_of_work
from qm_web.deps import Access, authorize

FLAG = "ff_experiment_jobs"
AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class Unit:
    """An authorized request's access, its workspace-scoped session, and post-commit work."""

    access: Access
    session: AsyncSession
    after_commit: list[AfterCommit] = field(default_factory=list)


async def _require_flag(request: Request, access: Access) -> None:
    if not await request.app.state.limits.flag_enabled(access.workspace_id, FLAG):
        raise Forbidden(f"experiment jobs are not enabled for this workspace ({FLAG} is off)")


def gated(action: str) -> Any:
    """Authorize `action` and require the feature flag; no session (long-lived routes)."""

    async def dependency(request: Request, access: Annotated[Access, authorize(action)]) -> Access:
        await _require_flag(request, access)
        return access

    return Depends(dependency)


def workspace_unit(action: str) -> Any:
    """Authorize, gate, open the unit of work; commit before the response, then run hooks."""

    async def dependency(
        request: Request, access: Annotated[Access, authorize(action)]
    ) -> AsyncIterator[Unit]:
        await _require_flag(request, access)
        sessions = request.app.state.sessions
        async with unit_of_work(sessions, workspace_id=access.workspace_id) as session:
            unit = Unit(access=access, session=session)
            yield unit
        for hook in unit.after_commit:
            await hook()

    return Depends(dependency, scope="function")
