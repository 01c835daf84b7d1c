"""Per-service table base: each service gets its own registry and a MetaData bound to its schema."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import registry

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_registry(schema: str) -> registry:
    """A fresh SQLAlchemy registry whose MetaData puts every table in `schema`.

    Use it as `class TenancyTable(SQLModel, registry=service_registry("tenancy")): ...`.
    """
    return registry(metadata=MetaData(schema=schema, naming_convention=NAMING_CONVENTION))
