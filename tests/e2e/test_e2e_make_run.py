"""`python -m qm_devstack.run` as `make run` starts it: embedded servers, Ctrl-C, a second run."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from qm_devstack.paths import repo_root
from qm_devstack.seed import dev_token

pytestmark = pytest.mark.e2e
START_TIMEOUT_S = 150.0
STOP_TIMEOUT_S = 40.0


class RunProcess:
    """One `python -m qm_devstack.run` in its own session, like a terminal's foreground job."""

    def __init__(self, var_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"QM_DATABASE_URL", "QM_REDIS_URL"}}
        env.update(QM_VAR_DIR=str(var_dir), QM_DEVSTACK_FREE_PORTS="1", PYTHONUNBUFFERED="1")
        # The CLI's mechanics (signals, reuse) need one service; the full table has its own test.
        env["QM_DEVSTACK_SERVICES"] = "tenancy"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qm_devstack.run"],
            cwd=repo_root(),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_banner(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(r"gateway\s+(http://127\.0\.0\.1:\d+)", self.output)
            if found and "Ctrl-C stops everything" in self.output:
                return found[1]
            time.sleep(0.2)
        raise AssertionError(f"make run did not come up:\n{self.output[-3000:]}")

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


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
    run = RunProcess(var_dir)
    try:
        gateway = run.wait_for_banner()
        assert "TOKEN=$(curl -s -X POST" in run.output
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
