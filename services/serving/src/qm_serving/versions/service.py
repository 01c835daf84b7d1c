"""Version use cases: register (after preflight), read with integrity verification, list."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.hashing import sha256_hex
from qm_core.ids import WorkspaceId
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_serving.errors import VersionIntegrityError
from qm_serving.events import VersionRegistered
from qm_serving.versions.build import build_published
from qm_serving.versions.identity import serving_id_for, stored_form
from qm_serving.versions.repository import VersionRows
from qm_serving.versions.schemas import VersionRegister
from qm_serving.versions.tables import ServingVersion
from qm_specs import PublishedServingSpec, preflight, require_preflight

ENGINE_VERSION = package_version("qm-engine")


@dataclass(frozen=True)
class VerifiedVersion:
    """A version row whose stored spec passed every integrity check on this load."""

    row: ServingVersion
    spec: PublishedServingSpec


def _row(
    workspace_id: WorkspaceId, spec: PublishedServingSpec, request: VersionRegister, actor: str
) -> ServingVersion:
    text, digest = stored_form(spec)
    snap = spec.runtime_snapshot
    return ServingVersion(
        workspace_id=workspace_id,
        serving_id=spec.serving_id,
        name=snap.serving.name,
        model_id=snap.serving.model_id,
        description=spec.description,
        spec_json=text,
        spec_sha256=digest,
        snapshot_hash=spec.snapshot_hash,
        config_hash=spec.lineage.config_hash,
        source_run_id=spec.lineage.run_id,
        experiment_name=spec.lineage.experiment_name,
        dataset_id=request.lineage.dataset_id,
        engine_version=ENGINE_VERSION,
        gold_dsl_id=snap.serving.gold_dsl,
        gold_dsl_hash=None,
        created_by=actor,
        created_at=utcnow(),
    )


async def register_version(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    request: VersionRegister,
    configs_dir: Path,
) -> tuple[ServingVersion, bool]:
    """Preflight, then store the version; identical content returns the existing row (False)."""
    spec = require_preflight(build_published(request, configs_dir=configs_dir))
    rows = VersionRows(session, workspace_id)
    existing = await rows.get(spec.serving_id, column="serving_id")
    if existing is not None:
        await verify(existing)
        return existing, False
    row = _row(workspace_id, spec, request, actor_id)
    session.add(row)
    await session.flush()
    await _registered(session, workspace_id, actor_id, row)
    return row, True


async def _registered(
    session: AsyncSession, workspace_id: WorkspaceId, actor_id: str, row: ServingVersion
) -> None:
    await emit(
        session,
        VersionRegistered(
            serving_id=row.serving_id, spec_name=row.name, spec_sha256=row.spec_sha256
        ),
        workspace_id=workspace_id,
        subject=row.serving_id,
    )
    await emit(
        session,
        AuditRecorded(
            actor_id=actor_id,
            action="serving.version_registered",
            target=f"serving_version:{row.serving_id}",
            payload={"name": row.name, "spec_sha256": row.spec_sha256},
        ),
        workspace_id=workspace_id,
    )


async def verify(row: ServingVersion) -> VerifiedVersion:
    """Re-hash the stored bytes and re-derive the id; VersionIntegrityError on any mismatch."""
    where = f"serving version {row.serving_id}"
    if sha256_hex(row.spec_json.encode("utf-8")) != row.spec_sha256:
        raise VersionIntegrityError(f"{where}: stored spec does not match its SHA-256")
    try:
        data = json.loads(row.spec_json)
        spec = PublishedServingSpec.model_validate(data)
    except ValueError as exc:
        raise VersionIntegrityError(f"{where}: stored spec no longer parses") from exc
    if serving_id_for(data) != row.serving_id or spec.serving_id != row.serving_id:
        raise VersionIntegrityError(f"{where}: content no longer matches its serving id")
    if preflight(spec):
        raise VersionIntegrityError(f"{where}: stored spec fails preflight")
    return VerifiedVersion(row=row, spec=spec)


async def load_version(
    session: AsyncSession, *, workspace_id: WorkspaceId, serving_id: str
) -> VerifiedVersion:
    """One verified version of the workspace (NotFound, or VersionIntegrityError if tampered)."""
    row = await VersionRows(session, workspace_id).require(serving_id, column="serving_id")
    return await verify(row)


async def find_version(
    session: AsyncSession, *, workspace_id: WorkspaceId, serving_id: str
) -> ServingVersion | None:
    """The unverified row, or None (existence checks only; never serve from it)."""
    return await VersionRows(session, workspace_id).get(serving_id, column="serving_id")


async def list_versions(
    session: AsyncSession, *, workspace_id: WorkspaceId, limit: int = 200
) -> list[ServingVersion]:
    """Versions of the workspace, newest first."""
    return await VersionRows(session, workspace_id).newest_first(limit)
