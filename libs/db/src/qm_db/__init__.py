"""qMachina database layer: per-service table base, async engine, unit of work, workspace scoping, RLS, alembic helpers"""
