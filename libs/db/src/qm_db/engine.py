"""Async engine and session factory over asyncpg, built once per process in the lifespan."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str) -> str:
    """Turn a plain `postgresql://` URL into the asyncpg dialect URL SQLAlchemy needs."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]!r}")


def plain_url(url: str) -> str:
    """The libpq form (`postgresql://...`) of a URL, e.g. for asyncpg.connect or psql."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def make_engine(url: str, *, pool_size: int = 5, **kwargs: Any) -> AsyncEngine:
    """An asyncpg-backed engine with pre-ping, sized for one service process."""
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **kwargs
    )


def make_sessionmaker(
    bind: Any, *, info: dict[str, Any] | None = None, **kwargs: Any
) -> async_sessionmaker[AsyncSession]:
    """Session factory; `info` is copied onto every session (the outbox table lives there)."""
    return async_sessionmaker(bind, expire_on_commit=False, info=info or {}, **kwargs)
