"""Embedded Postgres and Valkey: start, answer, keep their data across restarts, stop cleanly."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from qm_devstack.net import tcp_open
from qm_devstack.paths import repo_root
from qm_devstack.postgres import EmbeddedPostgres
from qm_devstack.valkey import EmbeddedValkey

pytestmark = pytest.mark.slow


async def _query(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        if sql.startswith(("SELECT", "SHOW")):
            return await conn.fetchval(sql)
        return await conn.execute(sql)
    finally:
        await conn.close()


def _run(url: str, sql: str) -> object:
    return asyncio.run(_query(url, sql))


def _redis(port: int, *command: str) -> bytes:
    payload = f"*{len(command)}\r\n" + "".join(f"${len(c)}\r\n{c}\r\n" for c in command)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload.encode())
        return sock.recv(1024)


@pytest.fixture(scope="module")
def work_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root the Postgres user must traverse every parent directory.
    base = (repo_root() / "var" / f"test-devstack-{os.getpid()}").resolve()
    base.mkdir(parents=True, exist_ok=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_postgres_keeps_data_across_restart_on_loopback_tcp(work_dir: Path) -> None:
    pg = EmbeddedPostgres(work_dir / f"pg-{os.getpid()}", fsync=False)
    url = pg.start()
    try:
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        _run(url, "CREATE TABLE IF NOT EXISTS kept (x int); INSERT INTO kept VALUES (7)")
        pg.stop()
        assert not pg.is_running()
        url = pg.start()
        assert _run(url, "SELECT sum(x) FROM kept") == 7
        assert str(_run(url, "SHOW server_version")).startswith("18.")
    finally:
        pg.stop()
    assert pg.port is None


def test_postgres_runs_as_a_non_root_user_when_started_by_root(work_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only meaningful when the tests run as root")
    pg = EmbeddedPostgres(work_dir / f"pg-user-{os.getpid()}", fsync=False)
    pg.start()
    try:
        pid = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
        assert os.stat(f"/proc/{pid}").st_uid != 0
    finally:
        pg.stop()


def test_postgres_restarts_a_server_left_running_by_a_killed_supervisor(work_dir: Path) -> None:
    first = EmbeddedPostgres(work_dir / f"pg-stale-{os.getpid()}", fsync=False)
    first.start()
    old_port = first.port
    second = EmbeddedPostgres(first.data_dir, fsync=False)
    url = second.start()
    try:
        assert _run(url, "SELECT 1") == 1
        assert old_port is not None
        assert second.port == old_port or not tcp_open(old_port)
    finally:
        second.stop()


def test_valkey_keeps_data_across_restart(work_dir: Path) -> None:
    valkey = EmbeddedValkey(work_dir / f"valkey-{os.getpid()}")
    valkey.start()
    try:
        assert valkey.port is not None
        assert _redis(valkey.port, "SET", "qm:devstack:k", "v").startswith(b"+OK")
        valkey.stop()
        valkey.start()
        assert valkey.port is not None
        assert _redis(valkey.port, "GET", "qm:devstack:k") == b"$1\r\nv\r\n"
    finally:
        valkey.stop()
    assert valkey.port is None
