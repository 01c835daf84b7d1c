"""Every query of run records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from qm_db.repository import WorkspaceRepository
from qm_jobs.runs.tables import ExperimentRun


class RunRows(WorkspaceRepository[ExperimentRun]):
    """Runs of one workspace."""

    model = ExperimentRun
    noun = "run"

    async def upsert(self, values: dict[str, Any], update: list[str]) -> None:
        """Insert a run, or update the given columns of an existing one."""
        stmt = insert(ExperimentRun).values(workspace_id=self.workspace_id, **values)
        keys = ["job_id", "run_id"]
        if not update:
            await self.session.execute(stmt.on_conflict_do_nothing(index_elements=keys))
            return
        changes = {name: stmt.excluded[name] for name in update}
        await self.session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))

    async def page(
        self,
        *,
        filters: dict[str, Any],
        sort: str | None,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[ExperimentRun], int]:
        stmt = self.scoped()
        for name, value in filters.items():
            stmt = stmt.where(getattr(ExperimentRun, name) == value)
        total = await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        key: Any = col(ExperimentRun.run_index)
        if sort is not None:
            key = col(ExperimentRun.metrics_json)[sort].astext.cast(Float)
            key = key.desc().nulls_last() if descending else key.asc().nulls_last()
        ordered = stmt.order_by(key, col(ExperimentRun.job_id), col(ExperimentRun.run_index))
        rows = await self.session.execute(ordered.limit(limit).offset(offset))
        return list(rows.scalars()), int(total.scalar_one())

    async def of_job(self, job_id: uuid.UUID) -> list[ExperimentRun]:
        stmt = self.scoped().where(col(ExperimentRun.job_id) == job_id)
        rows = await self.session.execute(stmt.order_by(col(ExperimentRun.run_index)))
        return list(rows.scalars())
