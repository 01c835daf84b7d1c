"""Tenancy feature: auth."""
