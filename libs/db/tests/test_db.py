"""Unit of work, workspace-scoped repositories, and row-level security under a service role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlmodel import Field, SQLModel

from qm_core.errors import NotFound
from qm_core.ids import WorkspaceId
from qm_db.base import service_registry
from qm_db.engine import make_engine, make_sessionmaker, plain_url
from qm_db.repository import WorkspaceRepository
from qm_db.rls import enable_rls_sql
from qm_db.roles import ensure_service_role
from qm_db.uow import unit_of_work
from qm_testing.servers import create_database, drop_database

SCHEMA = "dbtest"
registry = service_registry(SCHEMA)


class DbTestTable(SQLModel, registry=registry):
    """Base of this test's tables."""


class Note(DbTestTable, table=True):
    __tablename__ = "note"

    id: int = Field(primary_key=True)
    workspace_id: uuid.UUID
    body: str


class NoteRows(WorkspaceRepository[Note]):
    model = Note
    noun = "note"


@pytest.fixture(scope="module")
async def role_db(qm_postgres_server: str) -> AsyncIterator[str]:
    """A database where `dbtest` is owned by its own login role, with RLS on `note`."""
    admin = await create_database(qm_postgres_server, prefix="qm_dbtest")
    service_url = await ensure_service_role(admin, "dbtest")
    conn = await asyncpg.connect(plain_url(service_url))
    try:
        await conn.execute(
            "CREATE TABLE dbtest.note (id int PRIMARY KEY, workspace_id uuid "
            "NOT NULL, body text NOT NULL)"
        )
        for statement in enable_rls_sql(SCHEMA, "note"):
            await conn.execute(statement)
    finally:
        await conn.close()
    yield service_url
    await drop_database(qm_postgres_server, admin)


async def test_unit_of_work_commits_on_success_and_rolls_back_on_error(role_db):
    engine = make_engine(role_db, pool_size=1)
    sessions = make_sessionmaker(engine)
    ws = WorkspaceId(uuid.uuid4())
    async with unit_of_work(sessions, workspace_id=ws) as session:
        session.add(Note(id=1, workspace_id=ws, body="kept"))
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions, workspace_id=ws) as session:
            session.add(Note(id=2, workspace_id=ws, body="lost"))
            await session.flush()
            raise RuntimeError("boom")
    async with unit_of_work(sessions, workspace_id=ws) as session:
        rows = NoteRows(session, ws).scoped().with_only_columns(Note.body)  # type: ignore[arg-type]
        bodies = (await session.execute(rows)).scalars().all()
    assert list(bodies) == ["kept"]
    await engine.dispose()


async def test_rls_hides_other_workspaces_even_from_raw_sql(role_db):
    engine = make_engine(role_db, pool_size=1)
    sessions = make_sessionmaker(engine)
    ws_a, ws_b = WorkspaceId(uuid.uuid4()), WorkspaceId(uuid.uuid4())
    async with unit_of_work(sessions, workspace_id=ws_a) as session:
        session.add(Note(id=10, workspace_id=ws_a, body="a"))
    async with unit_of_work(sessions, workspace_id=ws_b) as session:
        session.add(Note(id=11, workspace_id=ws_b, body="b"))
        raw = (await session.execute(text("SELECT body FROM dbtest.note ORDER BY id"))).scalars()
        assert list(raw) == ["b"]
        with pytest.raises(NotFound):
            await NoteRows(session, ws_b).require(10)
    with pytest.raises(Exception, match="row-level security"):
        async with unit_of_work(sessions, workspace_id=ws_b) as session:
            session.add(Note(id=12, workspace_id=ws_a, body="smuggled"))
    async with sessions() as session:  # no scope at all: deny by default
        assert (await session.execute(text("SELECT count(*) FROM dbtest.note"))).scalar() == 0
    async with unit_of_work(sessions, system=True) as session:
        assert (await session.execute(text("SELECT count(*) FROM dbtest.note"))).scalar() >= 2
    await engine.dispose()


async def test_service_role_cannot_touch_other_schemas(role_db, qm_postgres_server):
    conn = await asyncpg.connect(plain_url(role_db))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA intruder")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.intruder (id int)")
    finally:
        await conn.close()
