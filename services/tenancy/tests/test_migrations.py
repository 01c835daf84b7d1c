"""Tenancy's migrations upgrade, downgrade and upgrade again cleanly; autogenerate finds no diff."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from qm_db.engine import plain_url
from qm_testing.migrations import check, downgrade, upgrade
from qm_testing.servers import create_database, drop_database

INI = Path(__file__).resolve().parents[1] / "alembic.ini"


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'tenancy'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_and_no_autogenerate_diff(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        assert {"workspace", "workspace_member", "audit_event", "outbox"} <= await _tables(url)
        await downgrade(INI, url)
        assert await _tables(url) == {"alembic_version"}
        await upgrade(INI, url)
        await check(INI, url)
    finally:
        await drop_database(qm_postgres_server, url)


async def test_workspace_tables_have_forced_row_level_security(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        conn = await asyncpg.connect(plain_url(url))
        try:
            rows = await conn.fetch(
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'tenancy' AND c.relrowsecurity AND c.relforcerowsecurity"
            )
        finally:
            await conn.close()
        assert {r["relname"] for r in rows} == {
            "workspace",
            "workspace_member",
            "workspace_quota",
            "feature_flag",
            "audit_event",
        }
    finally:
        await drop_database(qm_postgres_server, url)
