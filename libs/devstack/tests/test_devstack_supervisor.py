"""The supervisor: logs per process, readiness, and no survivors after stop_all."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from qm_devstack.net import NotReadyError
from qm_devstack.supervisor import ProcessSpec, Supervisor

# A child that ignores SIGTERM and leaves a grandchild that ignores it too.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
grandchild = subprocess.Popen([sys.executable, "-c", code])
print("grandchild", grandchild.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else ""
    )
    return state != "Z"


def _grandchild_pid(log: Path) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines() if log.exists() else []:
            if line.startswith("grandchild"):
                return int(line.split()[1])
        time.sleep(0.05)
    raise AssertionError("the child never reported its grandchild")


def test_stop_all_kills_a_child_and_grandchild_that_ignore_sigterm(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path / "log", cwd=tmp_path)
    child = supervisor.start(ProcessSpec("stubborn", [sys.executable, "-c", STUBBORN]))
    grandchild = _grandchild_pid(supervisor.log_path("stubborn"))
    started = time.monotonic()
    supervisor.stop_all(timeout=1.0)
    assert time.monotonic() - started < 10
    assert child.poll() is not None
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
    assert supervisor.children == {}


def test_output_is_collected_in_the_process_log(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path / "log", cwd=tmp_path)
    argv = [
        sys.executable,
        "-c",
        "import sys; print('hello out'); print('hello err', file=sys.stderr)",
    ]
    child = supervisor.start(ProcessSpec("talker", argv))
    child.wait(timeout=20)
    supervisor.stop_all()
    text = supervisor.log_path("talker").read_text()
    assert "hello out" in text
    assert "hello err" in text


def test_a_process_that_dies_before_ready_fails_fast(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path / "log", cwd=tmp_path)
    spec = ProcessSpec("dies", [sys.executable, "-c", "raise SystemExit(3)"], ready=lambda: False)
    started = time.monotonic()
    with pytest.raises(NotReadyError, match="exited before it became ready"):
        supervisor.start(spec)
    assert time.monotonic() - started < 15
    assert supervisor.exited() == ["dies"]
    supervisor.stop_all()
