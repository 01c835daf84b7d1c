"""Tenancy feature: audit."""
