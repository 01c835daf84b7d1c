"""Serving feature: aliases, their append-only activation history, activation and rollback."""
