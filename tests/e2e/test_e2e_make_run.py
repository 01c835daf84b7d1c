"""`python -m qm_devstack.run` as `make run` starts it: embedded servers, Ctrl-C, a second run."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from e2e_run import RunProcess

from qm_devstack.paths import repo_root
from qm_devstack.seed import dev_token

pytestmark = pytest.mark.e2e


@pytest.fixture
def var_dir() -> Iterator[Path]:
    path = repo_root() / "var" / f"e2e-run-{uuid.uuid4().hex[:8]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _demo_id(gateway: str) -> list[str]:
    with httpx.Client(base_url=gateway, timeout=10.0) as client:
        headers = {"Authorization": f"Bearer {dev_token(client)}"}
        mine = client.get("/v1/workspaces", headers=headers).json()
    return [ws["workspace_id"] for ws in mine if ws["slug"] == "demo"]


def _run_once(var_dir: Path) -> list[str]:
    # the CLI's mechanics (signals, reuse) need one service; the full table has its own tests
    run = RunProcess(var_dir, services="tenancy")
    try:
        gateway = run.wait_for_banner()
        assert "TOKEN=$(curl -s -X POST" in run.output
        assert "streams" not in run.output  # tenancy alone: no stream aliases to point at
        demo = _demo_id(gateway)
        children = run.descendants()
        assert len(children) >= 4  # tenancy API, relay, consumer, Envoy (+ Valkey)
        assert run.ctrl_c() == 0, run.output[-3000:]
        assert "stopped." in run.output
        _gone, alive = psutil.wait_procs(children, timeout=5)
        assert alive == [], [p.pid for p in alive]
        assert not (var_dir / "postgres" / "postmaster.pid").exists()
        return demo
    finally:
        run.kill()


def test_make_run_starts_seeds_stops_on_ctrl_c_and_reuses_its_data(var_dir: Path) -> None:
    first = _run_once(var_dir)
    assert len(first) == 1
    assert (var_dir / "log" / "tenancy.log").stat().st_size > 0
    assert _run_once(var_dir) == first
