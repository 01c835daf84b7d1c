"""Stand-ins for tenancy's internal API (another service's HTTP: a true boundary in unit tests)."""

from __future__ import annotations

import uuid
from typing import Any

from qm_web.rbac import Role


class StaticMembership:
    """Roles from a dict; assign to `app.state.membership` in a service's tests."""

    def __init__(self, roles: dict[tuple[uuid.UUID, str], Role] | None = None) -> None:
        self.roles = dict(roles or {})

    def grant(self, workspace_id: uuid.UUID, user_id: str, role: Role) -> None:
        self.roles[(workspace_id, user_id)] = role

    async def role_of(self, workspace_id: uuid.UUID, user_id: str) -> Role | None:
        return self.roles.get((workspace_id, user_id))


class StaticLimits:
    """Quotas and flags from dicts; assign to `app.state.limits` in a service's tests."""

    def __init__(
        self, *, max_jobs: int = 4, max_streams: int = 8, max_storage_gb: int = 50
    ) -> None:
        self.defaults = {
            "max_jobs": max_jobs,
            "max_streams": max_streams,
            "max_storage_gb": max_storage_gb,
        }
        self.per_workspace: dict[uuid.UUID, dict[str, Any]] = {}
        self.flags: dict[tuple[uuid.UUID, str], bool] = {}

    async def quotas(self, workspace_id: uuid.UUID) -> dict[str, Any]:
        return {**self.defaults, **self.per_workspace.get(workspace_id, {})}

    async def flag_enabled(self, workspace_id: uuid.UUID, flag: str) -> bool:
        return self.flags.get((workspace_id, flag), True)
