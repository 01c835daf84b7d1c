"""Jobs' migrations upgrade, downgrade and upgrade again cleanly; autogenerate finds no diff."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from qm_db.engine import plain_url
from qm_testing.migrations import check, downgrade, upgrade
from qm_testing.servers import create_database, drop_database

INI = Path(__file__).resolve().parents[1] / "alembic.ini"
WORKSPACE_TABLES = {"experiment_job", "job_event", "job_artifact", "experiment_run"}


async def _fetch(url: str, query: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return {r[0] for r in await conn.fetch(query)}
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_and_no_autogenerate_diff(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'jobs'"
    try:
        await upgrade(INI, url)
        assert {*WORKSPACE_TABLES, "outbox", "consumed_event"} <= await _fetch(url, tables)
        await downgrade(INI, url)
        assert await _fetch(url, tables) == {"alembic_version"}
        await upgrade(INI, url)
        await check(INI, url)
    finally:
        await drop_database(qm_postgres_server, url)


async def test_workspace_tables_have_forced_row_level_security(qm_postgres_server):
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        forced = await _fetch(
            url,
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'jobs' AND c.relrowsecurity AND c.relforcerowsecurity",
        )
        assert forced == WORKSPACE_TABLES
    finally:
        await drop_database(qm_postgres_server, url)
