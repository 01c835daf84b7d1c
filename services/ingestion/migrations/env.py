"""Alembic environment of ingestion: schema `ingestion`, version table inside it."""

from alembic import context

from qm_db.migrations import run_migrations
from qm_ingestion.db import SCHEMA, load_metadata
from qm_web.settings import WebSettings

if not context.config.get_main_option("sqlalchemy.url"):
    context.config.set_main_option("sqlalchemy.url", WebSettings().database_url)
run_migrations(load_metadata(), SCHEMA)
