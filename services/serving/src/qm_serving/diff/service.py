"""Diff use case: resolve two selectors to verified versions and deep-diff what they serve."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.ids import WorkspaceId
from qm_serving.aliases import service as aliases
from qm_serving.compute.diff import deep_diff
from qm_serving.diff.schemas import DiffEntry, DiffRead
from qm_specs import PublishedServingSpec


def _comparable(spec: PublishedServingSpec) -> dict[str, Any]:
    data = spec.model_dump(mode="json")
    lineage = {k: v for k, v in data["lineage"].items() if k != "promoted_at"}
    return {
        "runtime_snapshot": data["runtime_snapshot"],
        "lineage": lineage,
        "description": data["description"],
    }


async def diff_versions(
    session: AsyncSession, *, workspace_id: WorkspaceId, a: str, b: str
) -> DiffRead:
    """Added / removed / changed paths from version `a` to version `b`."""
    left = await aliases.resolve_selector(session, workspace_id=workspace_id, selector=a)
    right = await aliases.resolve_selector(session, workspace_id=workspace_id, selector=b)
    result = deep_diff(_comparable(left.spec), _comparable(right.spec))
    ida, idb = left.spec.serving_id, right.spec.serving_id
    return DiffRead(
        a=ida,
        b=idb,
        added=[DiffEntry(**e) for e in result.added],
        removed=[DiffEntry(**e) for e in result.removed],
        changed=[DiffEntry(**e) for e in result.changed],
        unchanged_count=result.unchanged_count,
        summary=result.summary(ida, idb),
    )
