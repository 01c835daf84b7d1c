"""`python -m qm_devstack.migrate` (make migrate): a service's schema reaches head, twice."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable

import asyncpg
import pytest

from qm_devstack.paths import repo_root
from qm_devstack.postgres import EmbeddedPostgres

pytestmark = pytest.mark.e2e


async def _versions(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        found = {}
        found["tenancy"] = str(
            await conn.fetchval("SELECT version_num FROM tenancy.alembic_version")
        )
        return found
    finally:
        await conn.close()


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _migrate(env_overrides: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "QM_DATABASE_URL"} | env_overrides
    # The CLI is what is under test; every service's migrations already run in the full stack.
    env["QM_DEVSTACK_SERVICES"] = "tenancy"
    done = subprocess.run(
        [sys.executable, "-m", "qm_devstack.migrate"],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _check_twice(env: dict[str, str], read_versions: Callable[[], dict[str, str]]) -> None:
    assert "migrated: tenancy" in _migrate(env)
    first = read_versions()
    assert set(first) == {"tenancy"}
    assert all(first.values())
    _migrate(env)
    assert read_versions() == first


def test_migrate_brings_every_service_schema_to_head_and_is_repeatable() -> None:
    server = os.environ.get("QM_TEST_DATABASE_URL")
    if not server:
        _check_embedded()
        return
    name = f"qm_e2e_migrate_{uuid.uuid4().hex[:10]}"
    url = server.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        _check_twice({"QM_DATABASE_URL": url}, lambda: asyncio.run(_versions(url)))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _check_embedded() -> None:
    # No server given: make migrate uses the embedded one under QM_VAR_DIR, as on a fresh machine.
    var_dir = repo_root() / "var" / f"e2e-migrate-{uuid.uuid4().hex[:8]}"

    def read_versions() -> dict[str, str]:
        with EmbeddedPostgres(var_dir / "postgres", fsync=False) as pg:
            return asyncio.run(_versions(pg.url))

    try:
        _check_twice({"QM_VAR_DIR": str(var_dir)}, read_versions)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
