"""E2E fixtures: the real stack (Envoy + services + relays) started the way `make run` does.

Postgres and Redis come from QM_TEST_DATABASE_URL / QM_TEST_REDIS_URL when set (a fresh database
per session, dropped afterwards; a private Redis key namespace), else embedded servers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from qm_devstack.paths import repo_root
from qm_devstack.stack import Stack, StackConfig

# pytest runs with --import-mode=importlib: make the sibling helper module (e2e_tokens) importable.
sys.path.insert(0, str(Path(__file__).parent))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def e2e_database_url() -> Iterator[str | None]:
    """A fresh database on the test server (None: let the stack embed one)."""
    server = os.environ.get("QM_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    name = f"qm_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(server, name)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def stack(e2e_database_url: str | None) -> Iterator[Stack]:
    """The running stack on free ports, with its own var dir (removed afterwards)."""
    tag = uuid.uuid4().hex[:8]
    var_dir = repo_root() / "var" / f"e2e-{tag}"
    config = StackConfig(
        var_dir=var_dir,
        database_url=e2e_database_url,
        redis_url=os.environ.get("QM_TEST_REDIS_URL") or None,
        redis_namespace=f"e2e-{tag}:",
        free_ports=True,
        fsync=False,
        log_json=True,
        service_roles=os.environ.get("QM_E2E_SERVICE_ROLES", "1") == "1",
    )
    running = Stack(config)
    try:
        yield running.start()
    finally:
        running.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
