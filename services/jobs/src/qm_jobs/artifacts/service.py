"""Artifact use cases: checksum and register a job's files, list them, open one to download."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import NotFound
from qm_core.ids import WorkspaceId
from qm_jobs.artifacts.repository import ArtifactRows
from qm_jobs.artifacts.tables import JobArtifact

_TYPES = {".parquet": "results", ".json": "manifest", ".txt": "log", ".log": "log"}


@dataclass(frozen=True)
class FileDigest:
    """A file under the artifacts root: relative name, SHA-256, size."""

    uri: str
    name: str
    checksum: str
    size: int


def digest(root: Path, path: Path, job_dir: Path) -> FileDigest:
    """SHA-256 and size of one file, streamed (run in a thread for big files)."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return FileDigest(
        uri=path.relative_to(root).as_posix(),
        name=path.relative_to(job_dir).as_posix(),
        checksum=sha.hexdigest(),
        size=path.stat().st_size,
    )


def artifact_type(name: str) -> str:
    """What kind of artifact a file is, from its suffix."""
    return _TYPES.get(Path(name).suffix, "file")


async def register(
    session: AsyncSession, *, workspace_id: WorkspaceId, job_id: uuid.UUID, files: list[FileDigest]
) -> None:
    """Record (or refresh) the given files as artifacts of the job."""
    rows = ArtifactRows(session, workspace_id)
    for item in files:
        await rows.upsert(
            {
                "artifact_id": uuid.uuid4(),
                "job_id": job_id,
                "artifact_type": artifact_type(item.name),
                "name": item.name,
                "uri": item.uri,
                "checksum": item.checksum,
                "size": item.size,
                "created_at": utcnow(),
            }
        )


async def list_artifacts(
    session: AsyncSession, *, workspace_id: WorkspaceId, job_id: uuid.UUID
) -> list[JobArtifact]:
    """Every artifact of a job, by name."""
    return await ArtifactRows(session, workspace_id).of_job(job_id)


async def locate(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    job_id: uuid.UUID,
    artifact_id: uuid.UUID,
    root: Path,
) -> tuple[JobArtifact, Path]:
    """The artifact and its file (NotFound if the row or the file is gone)."""
    row = await ArtifactRows(session, workspace_id).one(job_id, artifact_id)
    return row, stored_file(root, row)


def stored_file(root: Path, row: JobArtifact) -> Path:
    """The artifact's file under `root` (NotFound if missing or outside the root)."""
    path = (root / row.uri).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise NotFound(f"artifact {row.artifact_id} has no stored file")
    return path
