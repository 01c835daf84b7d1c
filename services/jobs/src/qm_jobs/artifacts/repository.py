"""Every query of job artifacts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from qm_db.repository import WorkspaceRepository
from qm_jobs.artifacts.tables import JobArtifact


class ArtifactRows(WorkspaceRepository[JobArtifact]):
    """Artifacts of one workspace."""

    model = JobArtifact
    noun = "artifact"

    async def of_job(self, job_id: uuid.UUID) -> list[JobArtifact]:
        stmt = self.scoped().where(col(JobArtifact.job_id) == job_id)
        rows = await self.session.execute(stmt.order_by(col(JobArtifact.name)))
        return list(rows.scalars())

    async def one(self, job_id: uuid.UUID, artifact_id: uuid.UUID) -> JobArtifact:
        stmt = self.scoped().where(
            col(JobArtifact.job_id) == job_id, col(JobArtifact.artifact_id) == artifact_id
        )
        row: JobArtifact | None = (await self.session.execute(stmt)).scalars().first()
        return row if row is not None else await self.require(artifact_id, column="artifact_id")

    async def upsert(self, values: dict[str, Any]) -> None:
        """Record a file; a re-registered name (a retry rewrote it) takes the new checksum."""
        stmt = insert(JobArtifact).values(workspace_id=self.workspace_id, **values)
        changes = {k: stmt.excluded[k] for k in ("uri", "checksum", "size", "created_at")}
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["job_id", "name"], set_=changes)
        )
