"""Loopback port helpers: find a free port, wait for a TCP listener or an HTTP 200."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx


class NotReadyError(RuntimeError):
    """A component did not become ready within its deadline."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when `port` can be bound on `host` (as a server binds it: TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def preferred_or_free(port: int | None, host: str = "127.0.0.1") -> int:
    """`port` when it is free (or None was asked), else any free port."""
    if port is not None and port_is_free(port, host):
        return port
    return free_port(host)


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    """True when GET `url` answers 200."""
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll `check` until it is true; fail early when `alive` turns false, late after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not alive():
            raise NotReadyError(f"{what}: the process exited before it became ready")
        time.sleep(0.1)
    raise NotReadyError(f"{what}: not ready after {timeout:.0f}s")
