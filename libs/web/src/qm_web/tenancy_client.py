"""Reads other services need from tenancy's internal API: quotas and feature flags."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import httpx

from qm_core.errors import Unavailable


class WorkspaceLimits(Protocol):
    """Quota and flag lookups (tenancy's internal API, or a static table in tests)."""

    async def quotas(self, workspace_id: uuid.UUID) -> dict[str, Any]: ...

    async def flag_enabled(self, workspace_id: uuid.UUID, flag: str) -> bool: ...


class TenancyClient:
    """`/internal/v1/workspaces/{ws}/quotas|flags` with the service token."""

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {service_token}"},
        )

    async def _get(self, path: str) -> dict[str, Any]:
        try:
            response = await self._client.get(path)
        except httpx.HTTPError as exc:
            raise Unavailable(f"tenancy unreachable: {exc}") from exc
        if not response.is_success:
            raise Unavailable(f"tenancy answered {response.status_code} for {path}")
        body: dict[str, Any] = response.json()
        return body

    async def quotas(self, workspace_id: uuid.UUID) -> dict[str, Any]:
        """`{"max_jobs", "max_streams", "max_storage_gb", ...}` of the workspace."""
        return await self._get(f"/internal/v1/workspaces/{workspace_id}/quotas")

    async def flag_enabled(self, workspace_id: uuid.UUID, flag: str) -> bool:
        """Whether a feature flag is on for the workspace."""
        flags = await self._get(f"/internal/v1/workspaces/{workspace_id}/flags")
        return bool(flags.get(flag, {}).get("enabled", False))

    async def aclose(self) -> None:
        await self._client.aclose()
