"""Serving's migrations upgrade, downgrade and upgrade again; no autogenerate diff; RLS forced."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from qm_db.engine import plain_url
from qm_testing.migrations import check, downgrade, upgrade
from qm_testing.servers import create_database, drop_database

INI = Path(__file__).resolve().parents[1] / "alembic.ini"
WORKSPACE_TABLES = {"serving_version", "serving_alias", "serving_activation", "serving_promotion"}


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_and_no_autogenerate_diff(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        rows = await _fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'serving'")
        assert WORKSPACE_TABLES | {"outbox"} <= {r["tablename"] for r in rows}
        await downgrade(INI, url)
        rows = await _fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'serving'")
        assert {r["tablename"] for r in rows} == {"alembic_version"}
        await upgrade(INI, url)
        await check(INI, url)
    finally:
        await drop_database(qm_postgres_server, url)


async def test_workspace_tables_force_rls_and_history_is_append_only(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        rows = await _fetch(
            url,
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'serving' AND c.relrowsecurity AND c.relforcerowsecurity",
        )
        assert {r["relname"] for r in rows} == WORKSPACE_TABLES
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute("SELECT set_config('qm.rls_system', 'on', false)")
            await conn.execute(
                "INSERT INTO serving.serving_activation VALUES (gen_random_uuid(), "
                "gen_random_uuid(), 'demo', 1, 'activate', NULL, 'v1', 'alice', 'why', NULL, now())"
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute("UPDATE serving.serving_activation SET reason = 'rewritten'")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute("DELETE FROM serving.serving_activation")
        finally:
            await conn.close()
    finally:
        await drop_database(qm_postgres_server, url)
