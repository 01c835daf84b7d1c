"""Ingestion migrations: up, down, up; no autogenerate diff; RLS forced on workspace tables."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from qm_db.engine import plain_url
from qm_testing.migrations import check, downgrade, upgrade
from qm_testing.servers import create_database, drop_database

INI = Path(__file__).resolve().parents[1] / "alembic.ini"
TABLES = {"ingestion_live_session", "ingestion_checkpoint", "contract_roll_event"}


async def _fetch(url: str, sql: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return {r[0] for r in await conn.fetch(sql)}
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_no_diff_and_forced_rls(qm_postgres_server: str) -> None:
    url = await create_database(qm_postgres_server, prefix="qm_mig")
    try:
        await upgrade(INI, url)
        tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'ingestion'"
        assert TABLES | {"outbox", "consumed_event"} <= await _fetch(url, tables)
        await downgrade(INI, url)
        assert await _fetch(url, tables) == {"alembic_version"}
        await upgrade(INI, url)
        await check(INI, url)
        forced = await _fetch(
            url,
            (
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'ingestion' AND c.relrowsecurity AND c.relforcerowsecurity"
            ),
        )
        assert forced == TABLES
    finally:
        await drop_database(qm_postgres_server, url)
