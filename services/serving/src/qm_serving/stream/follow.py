"""Stream plans from the database, and where followed aliases point now (for the hub)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import col, select

from qm_core.errors import QmError
from qm_core.ids import WorkspaceId
from qm_db.uow import unit_of_work
from qm_serving.aliases import service as aliases
from qm_serving.aliases.repository import AliasRows
from qm_serving.aliases.tables import ServingAlias
from qm_serving.errors import VersionIntegrityError
from qm_serving.stream.hub import AliasKey, PlanRefused
from qm_serving.stream.plan import StreamPlan, plan_stream

INTERNAL_ERROR, POLICY_VIOLATION = 1011, 1008


async def plan_for(
    state: Any, workspace_id: WorkspaceId, selector: str
) -> tuple[StreamPlan, str | None]:
    """The plan of `selector` in a workspace, and the alias it names (None: a serving id)."""
    settings = state.settings
    async with unit_of_work(state.sessions, workspace_id=workspace_id) as session:
        alias = await AliasRows(session, workspace_id).get(selector, column="alias")
        version = await aliases.resolve_selector(
            session, workspace_id=workspace_id, selector=selector
        )
    plan = await plan_stream(
        version,
        selector=selector,
        data_root=Path(settings.serving_data_root),
        replay_minutes=settings.serving_replay_minutes,
        pace=settings.serving_pace,
        live=state.live_feeds,
    )
    return plan, (selector if alias is not None else None)


class DatabaseAliasDirectory:
    """The hub's view of aliases: the database, shared by every replica (no event needed)."""

    def __init__(self, state: Any) -> None:
        # app.state: read at call time (tests swap its session factory after start-up)
        self.state = state

    async def current(self, keys: Collection[AliasKey]) -> dict[AliasKey, str]:
        """Where each (workspace, alias) points now, in one query (missing aliases left out)."""
        if not keys:
            return {}
        stmt = select(
            col(ServingAlias.workspace_id), col(ServingAlias.alias), col(ServingAlias.serving_id)
        ).where(tuple_(col(ServingAlias.workspace_id), col(ServingAlias.alias)).in_(list(keys)))
        async with unit_of_work(self.state.sessions, system=True) as session:
            rows = (await session.execute(stmt)).all()
        return {(uuid.UUID(str(ws)), alias): serving_id for ws, alias, serving_id in rows}

    async def plan(self, workspace_id: uuid.UUID, alias: str) -> StreamPlan:
        """The plan of the alias's current version; PlanRefused when it cannot stream here."""
        try:
            plan, _ = await plan_for(self.state, WorkspaceId(workspace_id), alias)
        except VersionIntegrityError as exc:
            raise PlanRefused(exc.detail, INTERNAL_ERROR) from exc
        except QmError as exc:
            raise PlanRefused(f"{exc.code}: {exc.detail}", POLICY_VIOLATION) from exc
        return plan
