"""Queries of serving versions."""

from __future__ import annotations

from sqlmodel import col

from qm_db.repository import WorkspaceRepository
from qm_serving.versions.tables import ServingVersion


class VersionRows(WorkspaceRepository[ServingVersion]):
    """Serving versions of one workspace."""

    model = ServingVersion
    noun = "serving version"

    async def newest_first(self, limit: int) -> list[ServingVersion]:
        stmt = self.scoped().order_by(col(ServingVersion.created_at).desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())
