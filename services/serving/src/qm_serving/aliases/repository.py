"""Queries of aliases and their activation history."""

from __future__ import annotations

from sqlmodel import col, select

from qm_db.repository import WorkspaceRepository
from qm_serving.aliases.tables import ServingActivation, ServingAlias


class AliasRows(WorkspaceRepository[ServingAlias]):
    """Aliases of one workspace."""

    model = ServingAlias
    noun = "alias"

    async def all(self) -> list[ServingAlias]:
        stmt = self.scoped().order_by(col(ServingAlias.alias))
        return list((await self.session.execute(stmt)).scalars())

    async def locked(self, alias: str) -> ServingAlias | None:
        """The alias row locked for this transaction, so concurrent moves serialize."""
        stmt = self.scoped().where(col(ServingAlias.alias) == alias).with_for_update()
        row: ServingAlias | None = (await self.session.execute(stmt)).scalars().first()
        return row


class ActivationRows(WorkspaceRepository[ServingActivation]):
    """Activation history of one workspace (append-only)."""

    model = ServingActivation
    noun = "activation"

    async def of_alias(self, alias: str, limit: int = 500) -> list[ServingActivation]:
        """The alias's moves, newest first."""
        stmt = (
            select(ServingActivation)
            .where(
                col(ServingActivation.workspace_id) == self.workspace_id,
                col(ServingActivation.alias) == alias,
            )
            .order_by(col(ServingActivation.revision).desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())
