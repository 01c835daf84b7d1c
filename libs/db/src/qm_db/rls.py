"""Postgres row-level security: SET LOCAL of the workspace, and the policy DDL migrations apply."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.ids import WorkspaceId

WORKSPACE_SETTING = "qm.workspace_id"
SYSTEM_SETTING = "qm.rls_system"


async def scope_to_workspace(session: AsyncSession, workspace_id: WorkspaceId) -> None:
    """Make RLS policies see only `workspace_id` for the rest of this transaction."""
    await session.execute(
        text("SELECT set_config(:k, :v, true)"), {"k": WORKSPACE_SETTING, "v": str(workspace_id)}
    )


async def scope_to_system(session: AsyncSession) -> None:
    """Let this transaction see every workspace (system work: relays, consumers, internal API)."""
    await session.execute(text("SELECT set_config(:k, 'on', true)"), {"k": SYSTEM_SETTING})


def enable_rls_sql(schema: str, table: str, column: str = "workspace_id") -> list[str]:
    """DDL that turns RLS on for a workspace-owned table; deny by default, owner included."""
    qualified = f'"{schema}"."{table}"'
    condition = (
        f"current_setting('{SYSTEM_SETTING}', true) = 'on' "
        f"OR {column}::text = current_setting('{WORKSPACE_SETTING}', true)"
    )
    return [
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY workspace_isolation ON {qualified} USING ({condition}) "
        f"WITH CHECK ({condition})",
    ]


def disable_rls_sql(schema: str, table: str) -> list[str]:
    """The inverse of `enable_rls_sql`, for downgrades."""
    qualified = f'"{schema}"."{table}"'
    return [
        f"DROP POLICY IF EXISTS workspace_isolation ON {qualified}",
        f"ALTER TABLE {qualified} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} DISABLE ROW LEVEL SECURITY",
    ]
