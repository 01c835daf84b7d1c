"""Queries of promotions by idempotency key."""

from __future__ import annotations

from sqlalchemy import text

from qm_db.repository import WorkspaceRepository
from qm_serving.internal.tables import ServingPromotion


class PromotionRows(WorkspaceRepository[ServingPromotion]):
    """Promotions of one workspace."""

    model = ServingPromotion
    noun = "promotion"

    async def lock_key(self, key: str) -> None:
        """Serialize concurrent requests carrying the same key (transaction-scoped lock)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"serving.promotion:{self.workspace_id}:{key}"},
        )
