"""`python -m qm_devstack.run` (what `make run` starts) as a child process of a test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from qm_devstack.paths import repo_root

START_TIMEOUT_S = 240.0
STOP_TIMEOUT_S = 40.0


class RunProcess:
    """One `python -m qm_devstack.run` in its own session, like a terminal's foreground job."""

    def __init__(self, var_dir: Path, *, services: str = "") -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"QM_DATABASE_URL", "QM_REDIS_URL"}}
        env.update(QM_VAR_DIR=str(var_dir), QM_DEVSTACK_FREE_PORTS="1", PYTHONUNBUFFERED="1")
        env["QM_DEVSTACK_SERVICES"] = services  # empty: the whole stack table
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
