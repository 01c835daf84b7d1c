"""Apply a service's alembic migrations to a test database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(ini_path: Path, database_url: str) -> Config:
    """The alembic config of a service, pointed at `database_url`."""
    config = Config(str(ini_path))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


async def upgrade(ini_path: Path, database_url: str, revision: str = "head") -> None:
    """`alembic upgrade` in a worker thread (env.py runs its own event loop)."""
    await asyncio.to_thread(command.upgrade, alembic_config(ini_path, database_url), revision)


async def downgrade(ini_path: Path, database_url: str, revision: str = "base") -> None:
    """`alembic downgrade` in a worker thread."""
    await asyncio.to_thread(command.downgrade, alembic_config(ini_path, database_url), revision)


async def check(ini_path: Path, database_url: str) -> None:
    """`alembic check`: raises when autogenerate would produce a diff."""
    await asyncio.to_thread(command.check, alembic_config(ini_path, database_url))
