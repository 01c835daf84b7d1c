"""Queries of workspace quotas."""

from __future__ import annotations

from qm_db.repository import WorkspaceRepository
from qm_tenancy.quotas.tables import WorkspaceQuota


class QuotaRows(WorkspaceRepository[WorkspaceQuota]):
    """The quota row of one workspace."""

    model = WorkspaceQuota
    noun = "quota"

    async def current(self) -> WorkspaceQuota | None:
        return await self.get(self.workspace_id, column="workspace_id")
