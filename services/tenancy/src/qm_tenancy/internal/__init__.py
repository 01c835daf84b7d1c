"""Tenancy feature: internal."""
