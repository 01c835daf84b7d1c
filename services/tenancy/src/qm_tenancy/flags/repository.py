"""Queries of per-workspace feature flags."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col

from qm_db.repository import WorkspaceRepository
from qm_tenancy.flags.tables import FeatureFlag


class FlagRows(WorkspaceRepository[FeatureFlag]):
    """Flag overrides of one workspace."""

    model = FeatureFlag
    noun = "flag"

    async def overrides(self) -> dict[str, FeatureFlag]:
        rows = await self.session.execute(self.scoped())
        return {row.flag: row for row in rows.scalars()}

    async def clear(self, flag: str) -> None:
        await self.session.execute(
            delete(FeatureFlag).where(
                col(FeatureFlag.workspace_id) == self.workspace_id,
                col(FeatureFlag.flag) == flag,
            )
        )
