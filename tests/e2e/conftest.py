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
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from qm_devstack.paths import repo_root
from qm_devstack.stack import Stack, StackConfig
from qm_devstack.stack_table import SERVICES, ServiceEntry, select

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


@contextmanager
def fresh_database() -> Iterator[str | None]:
    """A new database on the test server, dropped afterwards (None: let the stack embed one)."""
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


@contextmanager
def running_stack(services: tuple[ServiceEntry, ...]) -> Iterator[Stack]:
    """The stack on free ports with its own database, Redis namespace and var dir."""
    tag = uuid.uuid4().hex[:8]
    var_dir = repo_root() / "var" / f"e2e-{tag}"
    with fresh_database() as database_url:
        config = StackConfig(
            var_dir=var_dir,
            database_url=database_url,
            redis_url=os.environ.get("QM_TEST_REDIS_URL") or None,
            redis_namespace=f"e2e-{tag}:",
            free_ports=True,
            fsync=False,
            services=services,
        )
        running = Stack(config)
        try:
            yield running.start()
        finally:
            running.stop()
            shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Tenancy (API, relay, audit consumer) behind Envoy: what the HTTP tests drive."""
    with running_stack(select("tenancy")) as running:
        yield running


@pytest.fixture(scope="module")
def full_stack() -> Iterator[Stack]:
    """Every service of the stack table behind Envoy, as `make run` starts them."""
    with running_stack(SERVICES) as running:
        yield running
