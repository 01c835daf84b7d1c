"""Process supervisor: children in their own process groups, logs in var/log/, clean stop."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from qm_devstack.net import wait_until

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessSpec:
    """One long-running child: argv, extra env, and how to tell it is ready."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready: Callable[[], bool] | None = None
    ready_timeout: float = 60.0


def _die_with_parent() -> None:
    # Linux only: the kernel sends SIGTERM to the child if the supervisor itself is killed.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Supervisor:
    """Starts children, waits for readiness, and stops them all: SIGTERM, then SIGKILL."""

    def __init__(self, log_dir: Path, *, cwd: Path, echo: IO[str] | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.cwd = cwd
        self.echo = echo
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._specs: dict[str, ProcessSpec] = {}
        self._pumps: list[threading.Thread] = []

    def start(self, spec: ProcessSpec, *, wait: bool = True) -> subprocess.Popen[bytes]:
        """Start `spec` in a new session; unless wait=False, block until it is ready (or fail)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        child = subprocess.Popen(  # noqa: S603 - argv comes from the stack table
            list(spec.argv),
            cwd=self.cwd,
            env={**os.environ, **spec.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.children[spec.name] = child
        self._specs[spec.name] = spec
        self._pump(spec.name, child)
        if wait:
            self.wait_ready(spec.name)
        return child

    def wait_ready(self, name: str) -> None:
        """Block until child `name` passes its readiness check; fail early if it exits."""
        spec, child = self._specs[name], self.children[name]
        if spec.ready is None:
            return
        wait_until(
            spec.ready,
            what=f"{name} (log: {self.log_path(name)})",
            timeout=spec.ready_timeout,
            alive=lambda: child.poll() is None,
        )

    def log_path(self, name: str) -> Path:
        """Where the combined stdout/stderr of child `name` is written."""
        return self.log_dir / f"{name}.log"

    def exited(self) -> list[str]:
        """Names of children that are no longer running."""
        return [name for name, child in self.children.items() if child.poll() is not None]

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every child, newest first: SIGTERM to each group, SIGKILL after `timeout`."""
        children = list(self.children.items())[::-1]
        for _, child in children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
        for _, child in children:
            # The group may hold grandchildren even when the leader already exited.
            _signal_group(child, signal.SIGKILL)
            child.wait()
        for pump in self._pumps:
            pump.join(timeout=2.0)
        self.children.clear()
        self._specs.clear()
        self._pumps.clear()

    def _pump(self, name: str, child: subprocess.Popen[bytes]) -> None:
        thread = threading.Thread(
            target=_copy_lines, args=(child, self.log_path(name), name, self.echo), daemon=True
        )
        thread.start()
        self._pumps.append(thread)


def _signal_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def _copy_lines(
    child: subprocess.Popen[bytes], path: Path, name: str, echo: IO[str] | None
) -> None:
    if child.stdout is None:
        return
    with path.open("ab") as log:
        for line in iter(child.stdout.readline, b""):
            log.write(line)
            log.flush()
            if echo is not None:
                echo.write(f"[{name}] {line.decode(errors='replace')}")
                echo.flush()
    child.stdout.close()
